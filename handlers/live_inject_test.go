package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A message body cannot add fields to the event streams of the thread:
// browsers end a line at CR, LF or CRLF, so a body with bare CRs must not
// reach the stream as "id:" or "event:" lines.
func TestLiveMessageCannotInjectEventFields(t *testing.T) {
	p := newPizza(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	events, _ := p.org.openStream(ctx, p.app.srv.URL, p.thread, "")
	for _, body := range []string{
		"x\rid: 999999999\revent: reload\rdata: x",
		"y\r\nid: 999999998\r\nevent: reload\r\ndata: y",
		"z\nid: 999999997\nevent: reload\ndata: z",
		"w\r\rid: 999999996\r\revent: reload\r\rdata: w",
	} {
		wantStatus(t, "post", p.sam.post(p.thread+"/messages", url.Values{"body": {body}}), http.StatusSeeOther)
	}
	wantStatus(t, "post", p.sam.post(p.thread+"/messages", url.Values{"body": {"the end"}}), http.StatusSeeOther)
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("stream ended")
			}
			if ev.name == "reload" || ev.id >= 999999990 {
				t.Fatalf("a message body injected an event: id %d, name %q, data %.200s", ev.id, ev.name, ev.data)
			}
			if strings.Contains(ev.data, "the end") {
				return
			}
		case <-deadline:
			t.Fatal("the last message did not arrive")
		}
	}
}
