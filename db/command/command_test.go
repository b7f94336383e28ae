package command

import (
	"errors"
	"testing"

	"divvy/db/money"
)

func TestParse(t *testing.T) {
	eur := func(s string) money.Money { m, _ := money.Parse(s, "EUR"); return m }
	cases := []struct {
		text    string
		ok      bool
		want    Command
		wantErr error
	}{
		{"hello", false, Command{}, nil},
		{"#hashtag soirée", false, Command{}, nil},
		{"/shrug", false, Command{}, nil},
		{"/send 20 @sam taxi", true, Command{Kind: Send, Amount: eur("20"), Mention: "sam", Note: "taxi"}, nil},
		{"/pay 20€ @léa", true, Command{Kind: Send, Amount: eur("20"), Mention: "léa"}, nil},
		{"/request 15,50 € @friend", true, Command{Kind: Request, Amount: eur("15,50"), Mention: "friend"}, nil},
		{"/split 47,50 € pizza", true, Command{Kind: Split, Amount: eur("47,50"), Note: "pizza"}, nil},
		{"#envoyer 50EUR @sam", true, Command{Kind: Send, Amount: eur("50"), Mention: "sam"}, nil},
		{"#demander 20 € @ami resto", true, Command{Kind: Request, Amount: eur("20"), Mention: "ami", Note: "resto"}, nil},
		{"#Envoyer @Sam, 12.5 eur pour le taxi", true, Command{Kind: Send, Amount: eur("12.50"), Mention: "Sam", Note: "pour le taxi"}, nil},
		{"/send $5 @sam", true, Command{Kind: Send, Amount: money.Money{Amount: eur("5").Amount, Currency: "USD"}, Mention: "sam"}, nil},
		{"/send @sam taxi", true, Command{}, ErrNoAmount},
		{"/send 20 @sam 30", true, Command{}, ErrTwoAmounts},
		{"/send 20 @sam @léa", true, Command{}, ErrTwoPeople},
		{"/send 20 taxi", true, Command{}, ErrNoPerson},
		{"/send 0 @sam", true, Command{}, money.ErrZero},
		{"/send -5 @sam", true, Command{}, money.ErrNegative},
		{"/send 1.2345 @sam", true, Command{}, money.ErrTooManyDecimals},
		{"/request 12 € @x pizza", true, Command{Kind: Request, Amount: eur("12"), Mention: "x", Note: "pizza"}, nil},
	}
	for _, c := range cases {
		got, ok, err := Parse(c.text, "EUR")
		if ok != c.ok {
			t.Errorf("Parse(%q): ok %v, want %v", c.text, ok, c.ok)
			continue
		}
		if c.wantErr != nil {
			if !errors.Is(err, c.wantErr) {
				t.Errorf("Parse(%q): error %v, want %v", c.text, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", c.text, err)
			continue
		}
		if c.ok && !same(got, c.want) {
			t.Errorf("Parse(%q) = %+v, want %+v", c.text, got, c.want)
		}
	}
}

func same(a, b Command) bool {
	return a.Kind == b.Kind && a.Mention == b.Mention && a.Note == b.Note &&
		a.Amount.Currency == b.Amount.Currency && a.Amount.Amount.Equal(b.Amount.Amount)
}

func TestMatch(t *testing.T) {
	names := []string{"Olivia", "Léa Martin", "Sam", "Sam Lee"}
	for _, c := range []struct {
		mention string
		want    int
	}{
		{"lea", 1}, {"LÉA", 1}, {"leamartin", 1}, {"Léa-Martin", 1}, {"olivia", 0},
		{"sam", 2}, {"samlee", 3}, {"nina", -1}, {"", -1},
	} {
		if got := Match(c.mention, names); got != c.want {
			t.Errorf("Match(%q) = %d, want %d", c.mention, got, c.want)
		}
	}
}

// FuzzParse: no panics, and a command that parses formats to text that
// parses back to the same command.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"/send 20 @sam taxi", "#envoyer 50EUR @sam", "/request 15,50 € @friend", "/split 47,50 € pizza",
		"#demander 20 € @ami", "/pay 1 234,56 € @x", "/send @a 3 b", "/split ¥500 sushi", "/send 20 euros @sam euros"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, ok, err := Parse(text, "EUR")
		if !ok || err != nil {
			return
		}
		again, ok2, err2 := Parse(Format(c), "EUR")
		if !ok2 || err2 != nil || !same(c, again) {
			t.Fatalf("%q parsed to %+v, formatted %q, parsed back to %+v (%v, %v)", text, c, Format(c), again, ok2, err2)
		}
	})
}
