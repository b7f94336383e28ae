package main

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"p50 of four is the second", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p99 of four is the last", ms(1, 2, 3, 4), 99, 4 * time.Millisecond},
		{"p100", ms(1, 2, 3), 100, 3 * time.Millisecond},
		{"p50 of 1..100", hundred, 50, 50 * time.Millisecond},
		{"p99 of 1..100", hundred, 99, 99 * time.Millisecond},
		{"tiny p is the first", hundred, 0.001, time.Millisecond},
	} {
		if got := percentile(tc.sorted, tc.p); got != tc.want {
			t.Errorf("%s: percentile(%v) = %v, want %v", tc.name, tc.p, got, tc.want)
		}
	}
}

func TestSummarizeSortsACopy(t *testing.T) {
	in := []time.Duration{5, 1, 4, 2, 3}
	l := summarize(in)
	if l.N != 5 || l.P50 != 3 || l.P99 != 5 || l.Max != 5 {
		t.Errorf("summarize = %+v, want N 5, p50 3, p99 5, max 5", l)
	}
	if in[0] != 5 {
		t.Errorf("summarize reordered its input: %v", in)
	}
	if got := summarize(nil); got != (latency{}) {
		t.Errorf("summarize(nil) = %+v, want zero", got)
	}
}

func TestFormatNum(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0"}, {math.NaN(), "n/a"}, {math.Inf(1), "n/a"},
		{4687.3, "4687"}, {1000, "1000"}, {264.04, "264.0"}, {12.345, "12.3"},
		{2.345, "2.35"}, {0.0771, "0.0771"}, {-12.1, "-12.1"}, {-0.5, "-0.5"},
	} {
		if got := formatNum(tc.in); got != tc.want {
			t.Errorf("formatNum(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSummaryLine(t *testing.T) {
	s := newSummary()
	s.set("pay_per_s", 86.04)
	s.set("page_p99_ms", 2*time.Millisecond+500*time.Microsecond)
	s.set("errors", 0)
	s.set("audit", "not run")
	s.set("pay_per_s", 90.0) // a second set keeps the first place
	s.set("ratio", ratio(1, 0))
	want := "pay_per_s=90.0 page_p99_ms=2.5 errors=0 audit=not_run ratio=n/a"
	if got := s.String(); got != want {
		t.Errorf("summary = %q\nwant      %q", got, want)
	}
	if strings.Contains(s.String(), "\n") {
		t.Error("summary is more than one line")
	}
}

func TestRowString(t *testing.T) {
	r := row{Scenario: "page", Server: "pin", Conc: 32, Ops: 1234, Rate: 264, Unit: "req/s", P50: 96.5, P99: math.NaN(), Note: "x"}
	got := r.String()
	for _, part := range []string{"page", "pin", "32", "1234", "264.0", "req/s", "96.5", "n/a", "x"} {
		if !strings.Contains(got, part) {
			t.Errorf("row %q lacks %q", got, part)
		}
	}
}

// chunks hands a stream out in small pieces, as a network does.
type chunks struct {
	s string
	n int
}

func (c *chunks) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	k := min(len(p), c.n, len(c.s))
	copy(p, c.s[:k])
	c.s = c.s[k:]
	return k, nil
}

// sseFixture is an event stream with every case the readers must get
// right (comments, a retry, CRLF, ids and names carried over, an event
// without data, one cut mid-line), and the events it holds.
func sseFixture() (stream string, want []sseWant) {
	long := strings.Repeat("x", 100)
	stream = "retry: 1000\n: connected\n\n" +
		"id: 2\nevent: message\ndata: <ol>one</ol>\n\n" +
		": ping\n\n" +
		"id: 3\r\nevent: split\r\ndata: line 1\r\ndata:line 2\r\n\r\n" +
		"data: no id or name\n\n" + // keeps the last id, name "message"
		"event: empty\n\n" + // no data: not dispatched
		"id: 5\nevent: split\ndata: " + long + "\n\n" +
		"id: 6\nevent: reload\ndata: reload\n\n" +
		"id: 7\nevent: cut\ndata: half a li"
	return stream, []sseWant{
		{"2", "message", "<ol>one</ol>"},
		{"3", "split", "line 1\nline 2"},
		{"3", "message", "no id or name"},
		{"5", "split", long},
		{"6", "reload", "reload"},
	}
}

type sseWant struct{ id, name, data string }

func TestSSEReader(t *testing.T) {
	stream, want := sseFixture()
	r := newSSEReader(&chunks{s: stream, n: 7}, 16) // a buffer smaller than a line
	for i, w := range want {
		e, err := r.Next()
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if got := (sseWant{e.ID(), e.Name, string(e.Data)}); got != w {
			t.Errorf("event %d = %+v, want %+v", i, got, w)
		}
	}
	if r.Retry != time.Second {
		t.Errorf("retry = %v, want 1s", r.Retry)
	}
	if _, err := r.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a stream cut mid-line: err = %v, want io.ErrUnexpectedEOF", err)
	}
	if r.LastID() != "7" {
		t.Errorf("LastID = %q, want 7 (ids count once their line is read)", r.LastID())
	}
}

func TestSawSplit(t *testing.T) {
	plan := &livePlan{bySplit: map[int64][]int{42: {0, 1, 2}}}
	for _, name := range []string{"Payer 001", "Payer 002", "Payer 003"} {
		plan.pays = append(plan.pays, &livePay{paid: []byte(name + `"`)})
	}
	plan.issued.Store(3)
	st := &stream{recv: make([]int64, 3)}
	var got atomic.Int64
	h := &harness{}
	card := `<article class="split-card status-open" id="split-42" data-testid="split-card">` +
		`<li class="share share-paid" data-testid="share" data-status="paid" data-name="Payer 002">` +
		`<li class="share share-due" data-testid="share" data-status="due" data-name="Payer 001">`
	h.sawSplit([]byte(card), st, plan, &got)
	if st.recv[0] != 0 || st.recv[1] == 0 || st.recv[2] != 0 || got.Load() != 1 {
		t.Errorf("after one card: recv %v, received %d; want only Payer 002 seen", st.recv, got.Load())
	}
	first := st.recv[1]
	h.sawSplit([]byte(card), st, plan, &got)
	if st.recv[1] != first || got.Load() != 1 {
		t.Error("the same payment was counted twice")
	}
	h.sawSplit([]byte(strings.Replace(card, "split-42", "split-7", 1)), st, plan, &got)
	if got.Load() != 1 {
		t.Error("a card of another split counted")
	}
	plan.issued.Store(0)
	st2 := &stream{recv: make([]int64, 3)}
	h.sawSplit([]byte(card), st2, plan, &got)
	if st2.recv[1] != 0 {
		t.Error("a payment not yet made was counted")
	}
}

func TestPageParsers(t *testing.T) {
	form := `<select id="f-collector" name="collector"><option value="2" selected>Org &amp; Co</option><option value="13">Payer 001</option></select>`
	ids, err := membersOf([]byte(form))
	if err != nil || ids["Org & Co"] != 2 || ids["Payer 001"] != 13 || len(ids) != 2 {
		t.Errorf("membersOf = %v, %v", ids, err)
	}
	thread := `<h2><a href="/threads/3/splits/17">Split 000001</a></h2>x<h2><a href="/threads/3/splits/18">Split 000002</a></h2>` +
		`<li class="msg system" id="m1">a</li><li class="msg mine" id="m2">b</li><div sse-connect="/threads/3/events?after=41">`
	if got := splitsOn([]byte(thread)); got["Split 000001"] != 17 || got["Split 000002"] != 18 {
		t.Errorf("splitsOn = %v", got)
	}
	if n := messagesOn([]byte(thread)); n != 2 {
		t.Errorf("messagesOn = %d, want 2", n)
	}
	if id, err := lastEventOf([]byte(thread)); err != nil || id != 41 {
		t.Errorf("lastEventOf = %d, %v", id, err)
	}
	if id, err := paymentIDOf([]byte(`<input type="hidden" name="payment_id" value="pay-AbC_d-1">`)); err != nil || id != "pay-AbC_d-1" {
		t.Errorf("paymentIDOf = %q, %v", id, err)
	}
	if _, err := paymentIDOf([]byte(`<p class="card" data-testid="error-message" data-status="409">Your share is already paid.</p>`)); err == nil ||
		!strings.Contains(err.Error(), "already paid") {
		t.Errorf("paymentIDOf of an error page: %v, want the page's message", err)
	}
}

func TestRoute(t *testing.T) {
	for in, want := range map[string]string{
		"/threads/12/splits/345/pay":       "/threads/{n}/splits/{n}/pay",
		"/join/jzSE7mmFMOmirc6yn7Yihg":     "/join/{token}",
		"/threads/3/events?after=41":       "/threads/{n}/events",
		"/healthz":                         "/healthz",
		"/pay/abc-DEF_1":                   "/pay/{token}",
		"/threads/7/splits/8/shares/9/pay": "/threads/{n}/splits/{n}/shares/{n}/pay",
	} {
		if got := route(in); got != want {
			t.Errorf("route(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLiveLabel(t *testing.T) {
	for n, want := range map[int]string{1000: "1k", 10000: "10k", 2500: "2500", 1: "1"} {
		if got := liveLabel(n); got != want {
			t.Errorf("liveLabel(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-quick"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.duration != 2*time.Second || len(cfg.streams) != 1 || cfg.streams[0] != 1000 || cfg.c != 32 || !cfg.run["live"] {
		t.Errorf("-quick: %+v", cfg)
	}
	cfg, err = parseFlags([]string{"-streams", "1000,10000", "-c", "8", "-duration", "30s", "-run", "page,pay"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.streams) != 2 || cfg.c != 8 || cfg.duration != 30*time.Second || cfg.warmup != 2*time.Second || cfg.run["live"] || !cfg.run["pay"] {
		t.Errorf("flags: %+v", cfg)
	}
	for _, bad := range [][]string{{"-streams", "x"}, {"-c", "0"}, {"-run", "nope"}, {"extra"}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
}

func TestShowsPaidIsContains(t *testing.T) {
	tail := []byte(`Payer 002"`)
	for _, data := range []string{
		``, `Payer 002"`, `data-status="paid" data-name="Payer 002"`,
		`<span class="who">Payer 002</span><li data-status="due" data-name="Payer 002"><li data-status="paid" data-name="Payer 002">`,
		`<li data-status="paid" data-name="Payer 0021"><li data-status="paid" data-name="xPayer 002">`,
		`data-status="paid" data-name="Payer 002`, `"paid" data-name="Payer 002"`,
	} {
		want := bytes.Contains([]byte(data), append(append([]byte{}, paidHead...), tail...))
		if got := showsPaid([]byte(data), tail); got != want {
			t.Errorf("showsPaid(%q) = %v, want %v", data, got, want)
		}
	}
}
