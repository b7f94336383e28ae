package views

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every English string has a French one and the other way round, and every
// key the templates and handlers name exists.
func TestTranslationsComplete(t *testing.T) {
	for k := range messages["en"] {
		if _, ok := messages["fr"][k]; !ok {
			t.Errorf("French lacks %q", k)
		}
	}
	for k := range messages["fr"] {
		if _, ok := messages["en"][k]; !ok {
			t.Errorf("English lacks %q", k)
		}
	}
	used := regexp.MustCompile(`T\(\w+(?:\.Context\(\))?, "([a-z0-9_.]+)"\s*[,)]`)
	files, _ := filepath.Glob("*.templ")
	more, _ := filepath.Glob("../handlers/*.go")
	for _, f := range append(files, more...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			if !HasKey(m[1]) {
				t.Errorf("%s uses missing key %q", f, m[1])
			}
		}
	}
}

func TestMatchAcceptLanguage(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"fr-FR,fr;q=0.9,en;q=0.8", "fr"},
		{"de-DE,en;q=0.5,fr;q=0.7", "fr"},
		{"de", ""},
		{"", ""},
		{"en-GB", "en"},
		{"fr;q=bogus, en;q=0.1", "en"},
	} {
		if got := MatchAcceptLanguage(tc.header); got != tc.want {
			t.Errorf("MatchAcceptLanguage(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

func TestLinkify(t *testing.T) {
	got := Linkify("menu: https://example.com/a?b=1. or javascript:alert(1) (http://x.fr)")
	var links []string
	for _, s := range got {
		if s.URL != "" {
			links = append(links, s.URL)
		}
	}
	want := []string{"https://example.com/a?b=1", "http://x.fr"}
	if strings.Join(links, " ") != strings.Join(want, " ") {
		t.Errorf("links = %q, want %q", links, want)
	}
	var all strings.Builder
	for _, s := range got {
		all.WriteString(s.Text)
	}
	if all.String() != "menu: https://example.com/a?b=1. or javascript:alert(1) (http://x.fr)" {
		t.Errorf("Linkify lost text: %q", all.String())
	}
}

func TestT(t *testing.T) {
	fr := WithLocale(context.Background(), "fr")
	if got := T(fr, "home.members", 3); got != "3 membres" {
		t.Errorf("T(fr, home.members, 3) = %q", got)
	}
	if got := T(context.Background(), "no.such.key"); got != "no.such.key" {
		t.Errorf("missing key = %q", got)
	}
}
