package main

import (
	"testing"
	"time"
)

// TestSSEFeed: bytes pushed in pieces of any size, a line cut anywhere
// (between \r and \n too), give the events the pull reader gives.
func TestSSEFeed(t *testing.T) {
	stream, want := sseFixture()
	for _, size := range []int{1, 2, 7, 16, 64, len(stream)} {
		var p sseParser
		var got []sseWant
		for i := 0; i < len(stream); i += size {
			p.feed([]byte(stream[i:min(i+size, len(stream))]), func(e *sseEvent) {
				got = append(got, sseWant{e.ID(), e.Name, string(e.Data)})
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
