package views

import (
	"context"
	"strings"
	"testing"
	"time"

	"divvy/db"
	"github.com/shopspring/decimal"

	"divvy/db/money"
	_ "divvy/db/sandbox" // registers the payment provider's refusals
)

// Every reason db (and the packages that refuse through it) can return has a
// sentence in every language, and each sentence names only the reason's
// parameters. The reasons come from db's registry, so a new one cannot be
// missed.
func TestEveryRefusalTranslated(t *testing.T) {
	rs := db.Reasons()
	if len(rs) < 3 {
		t.Fatalf("only %d reasons registered", len(rs))
	}
	known := map[string]bool{}
	for _, r := range rs {
		known[r.Key] = true
		for _, l := range Locales {
			s, ok := refusals[l][r.Key]
			if !ok {
				t.Errorf("%s: no %s sentence for refusal %q", r.Key, l, r.Key)
				continue
			}
			for _, name := range placeholders(s) {
				if !contains(r.Params, name) {
					t.Errorf("%s (%s): the sentence names {%s}, which is not a parameter of the reason (%v)", r.Key, l, name, r.Params)
				}
			}
		}
	}
	for l, m := range refusals {
		for k := range m {
			if !known[k] {
				t.Errorf("%s sentence for %q, which no code returns", l, k)
			}
		}
	}
}

func placeholders(s string) (names []string) {
	for {
		open := strings.IndexByte(s, '{')
		if open < 0 {
			return names
		}
		end := strings.IndexByte(s[open:], '}')
		if end < 0 {
			return names
		}
		names = append(names, placeholderName(s[open+1:open+end]))
		s = s[open+end+1:]
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestFill(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 13, 5, 0, 0, time.UTC)
	eur, _ := money.New(decimal.NewFromInt(1500), "EUR")
	params := map[string]any{"left": 1, "many": 2, "none": 0, "at": at, "limit": eur, "what": "split"}
	fr := WithZone(WithLocale(context.Background(), "fr"), paris)
	en := WithZone(WithLocale(context.Background(), "en"), ny)
	for _, tc := range []struct {
		ctx     context.Context
		s, want string
	}{
		{fr, "{left|# essai restant|# essais restants}", "1 essai restant"},
		{fr, "{many|# essai restant|# essais restants}", "2 essais restants"},
		{fr, "{none|# essai restant|# essais restants}", "0 essai restant"},
		{en, "{left|# try left|# tries left}", "1 try left"},
		{en, "{none|# try left|# tries left}", "0 tries left"},
		{fr, "dès le {at}", "dès le 1er décembre 2026 à 14:05"},
		{en, "from {at}", "from December 1, 2026 at 8:05 AM"},
		{fr, "jusqu’à {at:time}", "jusqu’à 14:05"},
		{fr, "{limit}", "1\u202f500,00\u00a0€"},
		{fr, "{what:thing} introuvable.", "Partage introuvable."},
	} {
		if got := fill(tc.ctx, tc.s, params); got != tc.want {
			t.Errorf("fill(%q) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestRefusal(t *testing.T) {
	fr := WithLocale(context.Background(), "fr")
	reason := db.Reasons()[0]
	for _, r := range db.Reasons() {
		if r.Key == "not_found" {
			reason = r
		}
	}
	got, ok := Refusal(fr, reason.New("split"))
	if !ok || got != "Partage introuvable." {
		t.Errorf("Refusal = %q, %v", got, ok)
	}
	if _, ok := Refusal(fr, db.Errorf(db.EINVALID, "old sentence")); ok {
		t.Error("an error without a reason was taken for a refusal")
	}
	if got := ErrorText(fr, db.Errorf(db.EINVALID, "old sentence")); got != "old sentence" {
		t.Errorf("ErrorText of a legacy error = %q", got)
	}
}
