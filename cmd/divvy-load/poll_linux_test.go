//go:build linux

package main

import (
	"bufio"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// TestPollers: streams handed to the pollers get every event their
// server writes, in order, whatever pieces the writes come in; a stream
// the server ends is told so, and one removed stops being read.
func TestPollers(t *testing.T) {
	pp, err := newPollers()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	const streams, events = 50, 200
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range streams {
			c, err := ln.Accept()
			if err != nil {
				t.Error(err)
				return
			}
			wg.Go(func() {
				defer c.Close()
				w := bufio.NewWriterSize(c, 64)
				for k := range events {
					fmt.Fprintf(w, "id: %d\nevent: split\ndata: stream %d event %d\n\n", k, i, k)
					if k%7 == 0 {
						w.Flush()
						time.Sleep(time.Millisecond)
					}
				}
				w.Flush()
			})
		}
	})
	var mu sync.Mutex
	got := make([][]string, streams)
	var ss []*rawStream
	for i := range streams {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s, err := pp.add(c, []byte(": connected\n\nid: x\n"), &sseParser{}, func(e *sseEvent) {
			mu.Lock()
			got[i] = append(got[i], e.ID()+" "+string(e.Data))
			mu.Unlock()
		})
		if err != nil {
			t.Fatal(err)
		}
		ss = append(ss, s)
	}
	for i, s := range ss {
		select {
		case <-s.ended:
		case <-time.After(20 * time.Second):
			t.Fatalf("stream %d: not ended", i)
		}
		if s.err != nil {
			t.Errorf("stream %d: %v", i, s.err)
		}
		pp.remove(s)
	}
	wg.Wait()
	for i := range streams {
		if len(got[i]) != events {
			t.Fatalf("stream %d: %d events, want %d", i, len(got[i]), events)
		}
		for k, g := range got[i] {
			if want := fmt.Sprintf("%d stream %d event %d", k, i, k); g != want {
				t.Fatalf("stream %d: event %d = %q, want %q", i, k, g, want)
			}
		}
	}

	// A stream removed while open is no longer read, and ends.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := pp.add(c, nil, &sseParser{}, func(*sseEvent) {})
	if err != nil {
		t.Fatal(err)
	}
	pp.remove(s)
	select {
	case <-s.ended:
	default:
		t.Error("removed stream: ended not closed")
	}
}
