package views

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// refusal is what db's errors offer so views can word them without
// importing db: a stable key and the values the sentence names.
type refusal interface {
	error
	RefusalKey() string
	RefusalParams() map[string]any
}

// Refusal words a refusal from db in the reader's language and time zone.
// ok is false when err carries no reason (an error from before reasons, or
// not a refusal at all).
func Refusal(ctx context.Context, err error) (text string, ok bool) {
	var r refusal
	if !errors.As(err, &r) || r.RefusalKey() == "" {
		return "", false
	}
	key := r.RefusalKey()
	s, found := refusals[Locale(ctx)][key]
	if !found {
		s, found = refusals["en"][key]
	}
	if !found {
		return key, true // the coverage test catches this
	}
	return fill(ctx, s, r.RefusalParams()), true
}

// fill replaces the placeholders of a sentence:
//
//	{name}              the value, formatted for the reader
//	{name:time}         a time of day; {name:date} a day; {name:datetime} both
//	{name:thing}        a word key ("split"), translated as "thing.split"
//	{name|one|other}    a plural: the form the number calls for in the
//	                    reader's language, # standing for the number
//
// A duration counts as its minutes, rounded up.
func fill(ctx context.Context, s string, params map[string]any) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(s, '{')
		if open < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := strings.IndexByte(s[open:], '}')
		if end < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:open])
		b.WriteString(placeholder(ctx, s[open+1:open+end], params))
		s = s[open+end+1:]
	}
}

// placeholderName is the parameter a placeholder names.
func placeholderName(p string) string {
	if i := strings.IndexAny(p, ":|"); i >= 0 {
		return p[:i]
	}
	return p
}

func placeholder(ctx context.Context, p string, params map[string]any) string {
	name := placeholderName(p)
	v := params[name]
	rest := p[len(name):]
	switch {
	case strings.HasPrefix(rest, "|"):
		forms := strings.Split(rest[1:], "|")
		n := count(v)
		form := forms[len(forms)-1]
		if pluralOne(Locale(ctx), n) {
			form = forms[0]
		}
		return strings.ReplaceAll(form, "#", Number(ctx, n))
	case rest == ":time":
		if t, ok := v.(time.Time); ok {
			return Clock(ctx, t)
		}
	case rest == ":date":
		if t, ok := v.(time.Time); ok {
			return Date(ctx, t)
		}
	case rest == ":thing":
		if s, ok := v.(string); ok {
			return T(ctx, "thing."+s)
		}
	}
	return value(ctx, v)
}

// value formats one parameter for the reader.
func value(ctx context.Context, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case money.Money:
		return Money(ctx, x)
	case time.Time:
		return DateTime(ctx, x)
	case time.Duration:
		return Number(ctx, count(x))
	case int:
		return Number(ctx, x)
	case int64:
		return Number(ctx, int(x))
	case decimal.Decimal:
		if Locale(ctx) == "fr" {
			return strings.Replace(x.String(), ".", ",", 1)
		}
		return x.String()
	case error:
		return strings.TrimSuffix(ErrorText(ctx, x), ".")
	}
	return "?"
}

// count is the number a plural is chosen by.
func count(v any) int {
	switch x := v.(type) {
	case int:
		return x
	case int64:
		return int(x)
	case time.Duration:
		return int(math.Ceil(x.Minutes()))
	}
	return 0
}

// pluralOne reports whether n takes the singular: only 1 in English, 0 and
// 1 in French ("0 essai restant", "1 essai restant", "2 essais restants").
func pluralOne(locale string, n int) bool {
	if locale == "fr" {
		return n == 0 || n == 1
	}
	return n == 1
}

// Number writes a whole number for the reader: French threads thousands
// with a narrow no-break space, English with a comma.
func Number(ctx context.Context, n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := ","
	if Locale(ctx) == "fr" {
		sep = "\u202f"
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + sep + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

type zoneKey struct{}

// WithZone returns ctx carrying the reader's time zone.
func WithZone(ctx context.Context, loc *time.Location) context.Context {
	return context.WithValue(ctx, zoneKey{}, loc)
}

// Zone is the reader's time zone: the browser's when it said, else the
// server's own.
func Zone(ctx context.Context) *time.Location {
	if l, ok := ctx.Value(zoneKey{}).(*time.Location); ok && l != nil {
		return l
	}
	return time.Local
}

var frenchMonths = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet",
	"août", "septembre", "octobre", "novembre", "décembre"}

// Date writes a day for the reader: "2 décembre 2026", "December 2, 2026".
func Date(ctx context.Context, t time.Time) string {
	t = t.In(Zone(ctx))
	if Locale(ctx) == "fr" {
		d := strconv.Itoa(t.Day())
		if t.Day() == 1 {
			d = "1er"
		}
		return d + " " + frenchMonths[t.Month()-1] + " " + strconv.Itoa(t.Year())
	}
	return t.Format("January 2, 2006")
}

// DateTime writes a day and a time of day for the reader.
func DateTime(ctx context.Context, t time.Time) string {
	if Locale(ctx) == "fr" {
		return Date(ctx, t) + " à " + Clock(ctx, t)
	}
	return Date(ctx, t) + " at " + Clock(ctx, t)
}
