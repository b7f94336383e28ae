package handlers_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"divvy/handlers"
)

// sseEvent is one event read from a stream.
type sseEvent struct {
	id   int64
	name string
	data string
}

// openStream opens a thread's event stream as c and returns its events.
func (c *client) openStream(ctx context.Context, base, thread string, lastID string) (<-chan sseEvent, *http.Response) {
	c.app.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+thread+"/events", nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.app.t.Fatalf("open stream: %v", err)
	}
	if res.StatusCode != 200 {
		res.Body.Close()
		return nil, res
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		c.app.t.Fatalf("stream Content-Type %q", ct)
	}
	out := make(chan sseEvent, 1000)
	go func() {
		defer close(out)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		sc.Split(sseLines)
		var ev sseEvent
		var data []string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					ev.data = strings.Join(data, "\n")
					out <- ev
				}
				ev, data = sseEvent{}, nil
			case strings.HasPrefix(line, "id: "):
				ev.id, _ = strconv.ParseInt(line[4:], 10, 64)
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				data = append(data, line[6:])
			}
		}
	}()
	return out, res
}

// sseLines splits a stream into lines as browsers do: CR, LF and CRLF
// each end a line.
func sseLines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	for i, c := range data {
		switch c {
		case '\n':
			return i + 1, data[:i], nil
		case '\r':
			if i+1 == len(data) && !atEOF {
				return 0, nil, nil // a LF may follow
			}
			if i+1 < len(data) && data[i+1] == '\n' {
				return i + 2, data[:i], nil
			}
			return i + 1, data[:i], nil
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// next waits for an event whose data contains want.
func next(t *testing.T, events <-chan sseEvent, want string, within time.Duration) sseEvent {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("stream ended before an event with %q", want)
			}
			if strings.Contains(ev.data, want) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no event with %q within %v", want, within)
		}
	}
}

// A payment by one member reaches another member's open stream as the
// redrawn card, rendered for that viewer; non-members get 404.
func TestLivePaymentReachesOtherMembers(t *testing.T) {
	p := newPizza(t)
	_, payURL := p.postSplit(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	if _, res := app(p).client().openStream(ctx, p.app.srv.URL, p.thread, ""); res.StatusCode != http.StatusSeeOther {
		t.Errorf("signed-out stream: %d, want a redirect to log in", res.StatusCode)
	}
	eve := p.app.client()
	eve.signup("Eve", "eve@example.com", "correct horse")
	if _, res := eve.openStream(ctx, p.app.srv.URL, p.thread, ""); res.StatusCode != http.StatusNotFound {
		t.Errorf("non-member stream: %d, want 404", res.StatusCode)
	}

	events, _ := p.org.openStream(ctx, p.app.srv.URL, p.thread, "")
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", payURL)
	id := payForm(t, p.sam, payURL)
	start := time.Now()
	wantStatus(t, "pay", p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}}), http.StatusSeeOther)
	// The payment's message and the redrawn card, in that order.
	msg := next(t, events, "Sam paid €10.00", 5*time.Second)
	t.Logf("payment to event on another member's stream: %v", time.Since(start))
	if msg.name != "message" {
		t.Errorf("payment message event named %q", msg.name)
	}
	ev := next(t, events, "1 of 2 paid", 5*time.Second)
	if ev.name != "split" || !strings.Contains(ev.data, `hx-swap-oob="true"`) || ev.id != msg.id+1 {
		t.Errorf("card event = %d %s %.200s (message was %d)", ev.id, ev.name, ev.data, msg.id)
	}
	// About Sam's share only: his line, paid, and the progress; not Léa's
	// line, nor the whole card.
	if !strings.Contains(ev.data, `data-status="paid" data-name="Sam"`) || strings.Contains(ev.data, `data-name="Léa"`) ||
		strings.Contains(ev.data, `id="split-`+splitIDOf(t, ev.data)+`"`) {
		t.Errorf("the payment's split event is not about Sam's share alone: %.600s", ev.data)
	}
	// Léa's reminder is rendered for Olivia, who collects: she gets the
	// collector's actions on the card.
	wantStatus(t, "remind", p.org.post(p.thread+"/splits/"+splitIDOf(t, ev.data)+"/shares/"+shareIDOf(t, p, "Léa")+"/remind", nil), http.StatusSeeOther)
	card := next(t, events, "Reminded", 5*time.Second)
	if card.name != "split" || !strings.Contains(card.data, `data-name="Sam"`) {
		t.Errorf("the reminder's split event is not the whole card: %.300s", card.data)
	}
}

// splitIDOf is the split id in a split event's first id attribute.
func splitIDOf(t *testing.T, data string) string {
	t.Helper()
	m := regexp.MustCompile(`id="split-(\d+)`).FindStringSubmatch(data)
	if m == nil {
		t.Fatalf("no split id in %.200s", data)
	}
	return m[1]
}

// shareIDOf is a person's share id in the pizza thread's only split.
func shareIDOf(t *testing.T, p *pizza, name string) string {
	t.Helper()
	var id string
	if err := p.app.store.SQL().Get(&id, `SELECT sh.id FROM shares sh JOIN users u ON u.id = sh.user_id WHERE u.display_name = $1`, name); err != nil {
		t.Fatal(err)
	}
	return id
}

// A browser that reconnects with Last-Event-ID gets exactly the events it
// missed, in order, once; too far behind, it is told to reload.
func TestLiveReconnectReplaysMissed(t *testing.T) {
	p := newPizza(t)
	ctx, cancel := context.WithCancel(t.Context())
	first, _ := p.org.openStream(ctx, p.app.srv.URL, p.thread, "")
	p.sam.post(p.thread+"/messages", url.Values{"body": {"one"}})
	seen := next(t, first, ">one<", 5*time.Second)
	cancel() // the connection drops

	for _, body := range []string{"two", "three", "four"} {
		wantStatus(t, "post "+body, p.lea.post(p.thread+"/messages", url.Values{"body": {body}}), http.StatusSeeOther)
	}
	ctx2, cancel2 := context.WithCancel(t.Context())
	defer cancel2()
	again, _ := p.org.openStream(ctx2, p.app.srv.URL, p.thread, strconv.FormatInt(seen.id, 10))
	var got []string
	var ids []int64
	for len(got) < 3 {
		select {
		case ev := <-again:
			got = append(got, regexp.MustCompile(`<p>([^<]*)</p>`).FindStringSubmatch(ev.data)[1])
			ids = append(ids, ev.id)
		case <-time.After(5 * time.Second):
			t.Fatalf("replay gave %v, want two three four", got)
		}
	}
	if strings.Join(got, " ") != "two three four" || ids[0] != seen.id+1 || ids[1] != ids[0]+1 || ids[2] != ids[1]+1 {
		t.Errorf("replay = %v ids %v after %d; want two three four with consecutive ids", got, ids, seen.id)
	}
	select {
	case ev := <-again:
		t.Errorf("an extra event after the replay: %s %.100s", ev.name, ev.data)
	case <-time.After(300 * time.Millisecond):
	}

	// Far behind: one reload event.
	var gid int64
	fmt.Sscanf(p.thread, "/threads/%d", &gid)
	if _, err := p.app.store.SQL().Exec(`WITH g AS (UPDATE groups SET event_seq = event_seq + 600 WHERE id = $1 RETURNING event_seq)
		INSERT INTO events (group_id, id, kind, message_id) SELECT $1, s, 'message', NULL FROM g, generate_series(g.event_seq - 599, g.event_seq) s`, gid); err != nil {
		t.Fatal(err)
	}
	stale, _ := p.org.openStream(ctx2, p.app.srv.URL, p.thread, "1")
	select {
	case ev := <-stale:
		if ev.name != "reload" {
			t.Errorf("far-behind stream got %q, want reload", ev.name)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reload event for a far-behind stream")
	}
}

// Two app instances sharing only the database: a change made through one
// reaches a stream open on the other.
func TestLiveAcrossInstances(t *testing.T) {
	p := newPizza(t)
	log := slog.New(slog.DiscardHandler)
	other := handlers.NewBroker(p.app.store, log)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if err := other.Run(ctx); err != nil {
		t.Fatal(err)
	}
	// Instance B: the same code over the same database, its own broker.
	b := httptest.NewServer(handlers.New(log, p.app.store, p.app.provider, nil, other, handlers.Options{
		SessionKeys: []string{"test-session-key-0123456789abcdef0123456789"}, BaseURL: "http://divvy.test"}))
	// Close waits for open requests: end the stream first.
	defer b.Close()
	defer cancel()
	// Olivia's cookie works on B (same keys, same sessions table).
	u, _ := url.Parse(b.URL)
	p.org.hc.Jar.SetCookies(u, p.org.hc.Jar.Cookies(mustURL(p.app.srv.URL)))
	events, res := p.org.openStream(ctx, b.URL, p.thread, "")
	if events == nil {
		t.Fatalf("stream on instance B: %d", res.StatusCode)
	}
	time.Sleep(100 * time.Millisecond) // let B's LISTEN connection settle
	wantStatus(t, "post on A", p.sam.post(p.thread+"/messages", url.Values{"body": {"made on A"}}), http.StatusSeeOther)
	next(t, events, "made on A", 5*time.Second)
}

// A reader that never reads is dropped; it does not hold up the others.
func TestLiveStuckReaderDoesNotDelayOthers(t *testing.T) {
	p := newPizzaOn(t, newAppUnlimited(t))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	// The stuck browser: a raw connection with a tiny receive buffer that
	// sends the request and never reads a byte.
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.app.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4096)
	var cookies []string
	for _, c := range p.org.hc.Jar.Cookies(mustURL(p.app.srv.URL)) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	fmt.Fprintf(conn, "GET %s/events HTTP/1.1\r\nHost: x\r\nCookie: %s\r\n\r\n", p.thread, strings.Join(cookies, "; "))

	normal, _ := p.sam.openStream(ctx, p.app.srv.URL, p.thread, "")
	waitFor(t, "both streams open", func() bool { return p.app.broker.Streams() == 2 })

	long := strings.Repeat("x", 1900)
	var slowest time.Duration
	posted := 0
	for i := 0; p.app.broker.Streams() == 2; i++ {
		posted++
		if i == 3000 {
			t.Fatalf("the stuck stream was never dropped after %d messages", i)
		}
		start := time.Now()
		body := fmt.Sprintf("m%04d %s", i, long)
		wantStatus(t, "post", p.lea.post(p.thread+"/messages", url.Values{"body": {body}}), http.StatusSeeOther)
		next(t, normal, fmt.Sprintf("m%04d ", i), 5*time.Second)
		slowest = max(slowest, time.Since(start))
	}
	// The normal reader goes on.
	wantStatus(t, "post after the drop", p.lea.post(p.thread+"/messages", url.Values{"body": {"still live"}}), http.StatusSeeOther)
	next(t, normal, "still live", 5*time.Second)
	t.Logf("slowest post-to-event for the normal reader while a stuck one was open: %v; dropped after %d messages", slowest, posted)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The server's read and write timeouts, meant for ordinary requests, do not
// end a stream.
func TestLiveStreamOutlivesServerTimeouts(t *testing.T) {
	p := newPizza(t)
	log := slog.New(slog.DiscardHandler)
	srv := httptest.NewUnstartedServer(handlers.New(log, p.app.store, p.app.provider, nil, p.app.broker, handlers.Options{
		SessionKeys: []string{"test-session-key-0123456789abcdef0123456789"}, BaseURL: "http://divvy.test"}))
	srv.Config.ReadTimeout = 200 * time.Millisecond
	srv.Config.WriteTimeout = 200 * time.Millisecond
	srv.Start()
	ctx, cancel := context.WithCancel(t.Context())
	defer srv.Close()
	defer cancel()
	u, _ := url.Parse(srv.URL)
	p.org.hc.Jar.SetCookies(u, p.org.hc.Jar.Cookies(mustURL(p.app.srv.URL)))
	events, res := p.org.openStream(ctx, srv.URL, p.thread, "")
	if events == nil {
		t.Fatalf("stream: %d", res.StatusCode)
	}
	time.Sleep(700 * time.Millisecond)
	wantStatus(t, "post", p.sam.post(p.thread+"/messages", url.Values{"body": {"after the timeouts"}}), http.StatusSeeOther)
	next(t, events, "after the timeouts", 5*time.Second)
}

// A card payment the provider fails to settle is voided: the share is due
// again, the thread says so, and open pages redraw the card.
func TestLiveVoidedPaymentReopensShare(t *testing.T) {
	p := newPizza(t)
	_, payURL := p.postSplit(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	events, _ := p.org.openStream(ctx, p.app.srv.URL, p.thread, "")
	p.setupPayments(t, p.sam, "Sam", "4000 0000 0000 0259", "271828", payURL)
	id := payForm(t, p.sam, payURL)
	wantStatus(t, "pay", p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}}), http.StatusSeeOther)
	next(t, events, "1 of 2 paid", 5*time.Second)

	time.Sleep(1100 * time.Millisecond) // the test sandbox settles after a second
	posted, voided, err := p.app.store.SettlePending(ctx, p.app.provider, 10)
	if err != nil || posted != 0 || voided != 1 {
		t.Fatalf("settle: %d posted, %d voided, %v", posted, voided, err)
	}
	msg := next(t, events, "did not go through", 5*time.Second)
	card := next(t, events, "0 of 2 paid", 5*time.Second)
	if msg.name != "message" || card.name != "split" || card.id != msg.id+1 {
		t.Errorf("void events: %s %d, %s %d", msg.name, msg.id, card.name, card.id)
	}
	if body := p.sam.get(p.thread).body; !strings.Contains(body, "did not go through") || !strings.Contains(body, `data-testid="pay"`) {
		t.Errorf("Sam's thread page after the void: no notice or no Pay button")
	}
}
