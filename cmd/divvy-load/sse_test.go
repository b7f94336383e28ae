package main

import (
	"strings"
	"testing"
	"time"
)

// TestSSEFeed: bytes pushed in pieces of any size, a line cut anywhere
// (between \r and \n too), give the events the pull reader gives.
func TestSSEFeed(t *testing.T) {
	long := strings.Repeat("x", 100)
	stream := "retry: 1000\n: connected\n\n" +
		"id: 2\nevent: message\ndata: <ol>one</ol>\n\n" +
		": ping\n\n" +
		"id: 3\r\nevent: split\r\ndata: line 1\r\ndata:line 2\r\n\r\n" +
		"data: no id or name\n\n" +
		"event: empty\n\n" +
		"id: 5\nevent: split\ndata: " + long + "\n\n" +
		"id: 6\nevent: reload\ndata: reload\n\n" +
		"id: 7\nevent: cut\ndata: half a li"
	type ev struct{ id, name, data string }
	want := []ev{
		{"2", "message", "<ol>one</ol>"},
		{"3", "split", "line 1\nline 2"},
		{"3", "message", "no id or name"},
		{"5", "split", long},
		{"6", "reload", "reload"},
	}
	for _, size := range []int{1, 2, 7, 16, 64, len(stream)} {
		var p sseParser
		var got []ev
		for i := 0; i < len(stream); i += size {
			p.feed([]byte(stream[i:min(i+size, len(stream))]), func(e *sseEvent) {
				got = append(got, ev{e.ID(), e.Name, string(e.Data)})
			})
		}
		if len(got) != len(want) {
			t.Fatalf("pieces of %d: %d events %+v, want %d", size, len(got), got, len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("pieces of %d: event %d = %+v, want %+v", size, i, got[i], want[i])
			}
		}
		if p.Retry != time.Second || p.LastID() != "7" {
			t.Errorf("pieces of %d: retry %v, last id %q; want 1s, 7", size, p.Retry, p.LastID())
		}
	}
}
