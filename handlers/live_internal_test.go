package handlers

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/db/money"
	"divvy/views"
)

// An event is rendered once per kind of viewer (language, collector, own
// share), and every stream of that kind gets the same bytes: what a viewer
// sees never depends on which stream rendered it first.
func TestLiveEventRenderedOncePerKindOfViewer(t *testing.T) {
	eur := func(s string) money.Money { m, _ := money.New(decimal.RequireFromString(s), "EUR"); return m }
	splitID := int64(7)
	sp := db.Split{ID: splitID, GroupID: 1, Title: "Pizza", Total: eur("30"), PayeeID: 1, PayeeName: "Olivia",
		Status: db.SplitOpen, Shares: []db.Share{
			{ID: 70, UserID: 1, Name: "Olivia", Amount: eur("10"), Status: db.ShareSelf},
			{ID: 71, UserID: 2, Name: "Sam", Amount: eur("10"), Status: db.SharePaid, Method: "card"},
			{ID: 72, UserID: 3, Name: "Léa", Amount: eur("10"), Status: db.ShareDue},
		}}
	b := &eventBatch{events: []db.Event{{GroupID: 1, ID: 5, Kind: db.EventSplit, SplitID: &splitID}},
		splits: map[int64]db.Split{splitID: sp}}

	viewer := func(id int64, locale string) *stream {
		r := httptest.NewRequest("GET", "/groups/1/events", nil)
		ctx := context.WithValue(r.Context(), userKey, &db.User{ID: id})
		return newStream(nil, r.WithContext(views.WithLocale(ctx, locale)), 0)
	}
	out := map[string]string{}
	for _, v := range []struct {
		name   string
		id     int64
		locale string
	}{{"olivia", 1, "en"}, {"sam", 2, "en"}, {"sam-again", 2, "en"}, {"lea", 3, "en"},
		{"outsider", 4, "en"}, {"outsider2", 5, "en"}, {"outsider-fr", 6, "fr"}} {
		var buf bytes.Buffer
		s := viewer(v.id, v.locale)
		s.w = &buf
		if err := s.send(b); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(buf.String(), "id: 5\nevent: split\n") {
			t.Fatalf("%s got %.80q", v.name, buf.String())
		}
		out[v.name] = buf.String()
	}
	if n := len(b.frames); n != 5 {
		t.Errorf("rendered %d times for 7 streams of 5 kinds of viewer", n)
	}
	if out["sam"] != out["sam-again"] || out["outsider"] != out["outsider2"] {
		t.Error("streams of the same kind of viewer got different bytes")
	}
	if !strings.Contains(out["olivia"], "Remind") || strings.Contains(out["lea"], "Remind") || strings.Contains(out["outsider"], "Remind") {
		t.Error("only the collector's card has the Remind action")
	}
	if out["lea"] == out["outsider"] || out["sam"] == out["lea"] {
		t.Error("a share holder's card is the same as someone else's")
	}
	if !strings.Contains(out["outsider-fr"], "payé") || strings.Contains(out["outsider"], "payé") {
		t.Errorf("the French viewer's card is not in French: %.300s", out["outsider-fr"])
	}
}
