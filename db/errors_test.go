package db

import (
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// A refusal stored against a transfer id comes back equal, typed values
// included, so a retry is worded exactly like the first answer.
func TestStoredRefusalRoundTrip(t *testing.T) {
	r := Reason{Code: ELIMIT, Key: "test.stored", Params: []string{"limit", "at", "left", "name", "wait"}}
	at := time.Date(2026, 12, 1, 13, 5, 0, 0, time.UTC)
	e := r.New(money.Money{Amount: decimal.RequireFromString("500.00"), Currency: "EUR"}, at, 3, "Sam", 90*time.Second)
	got := storedError(ELIMIT, e.stored())
	if got.Code != e.Code || got.Reason != e.Reason || !reflect.DeepEqual(got.Params["at"], e.Params["at"]) ||
		got.Params["left"] != 3 || got.Params["name"] != "Sam" || got.Params["wait"] != 90*time.Second ||
		got.Params["limit"].(money.Money).Amount.String() != "500" {
		t.Fatalf("stored %s, got back %#v", e.stored(), got)
	}
	if old := storedError(EDECLINED, "Your card was declined."); old.Message != "Your card was declined." || old.Reason != "" {
		t.Errorf("legacy message = %#v", old)
	}
}
