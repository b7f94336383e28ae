package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/db/money"
	"divvy/views"
)

// BenchmarkFanOut writes a payment's events (its message and its share's
// line on the card, in a thread of 20 members) to 1 000 event streams over
// loopback TCP, each read by its own goroutine, and waits until every byte
// is read: the server's fan-out and the readers, on this machine's cores.
// B/stream is what each stream receives.
func BenchmarkFanOut(b *testing.B) { benchFanOut(b, 1000) }

func benchFanOut(b *testing.B, n int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, n)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	var read atomic.Int64
	for range n {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		go func() {
			buf := make([]byte, 16<<10)
			for {
				m, err := c.Read(buf)
				read.Add(int64(m))
				if err != nil {
					return
				}
			}
		}()
	}
	sinks := make([]*sink, n)
	for i := range n {
		conn := <-accepted
		r := httptest.NewRequest("GET", "/threads/1/events", nil)
		ctx := context.WithValue(r.Context(), userKey, &db.User{ID: int64(i%20 + 1)})
		s := newSink(conn, r.WithContext(views.WithLocale(ctx, "en")), 0)
		s.busy = false
		sinks[i] = s
		defer s.close()
	}
	br := NewBroker(nil, slog.New(slog.DiscardHandler))
	var written int64
	b.ResetTimer()
	for i := range b.N {
		// What the streams will receive, from a copy of the batch made
		// for each of the 20 viewers, off the clock.
		b.StopTimer()
		probe := paymentBatch(int64(i + 1))
		perViewer := map[int64]int64{}
		for _, s := range sinks[:20] {
			s.mu.Lock()
			perViewer[s.me] = streamBytes(s, probe)
			s.mu.Unlock()
		}
		for _, s := range sinks {
			written += perViewer[s.me]
		}
		batch := paymentBatch(int64(i + 1))
		b.StartTimer()
		br.fanOut(1, sinks, func(s *sink) error { return s.deliver(batch) })
		for read.Load() < written {
			runtime.Gosched()
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(written)/float64(b.N*n), "B/stream")
}

// paymentBatch is the events of the i-th payment in a thread of 20: its
// message and its share's line with the progress.
func paymentBatch(i int64) *eventBatch {
	eur := func(s string) money.Money { m, _ := money.New(decimal.RequireFromString(s), "EUR"); return m }
	splitID, msgID, shareID := int64(7), 1000+i, int64(70+i%19+1)
	sp := db.Split{ID: splitID, ThreadID: 1, Title: "Pizza Friday", Total: eur("200"), CollectorID: 1, CollectorName: "Olivia", Status: db.SplitOpen}
	for u := int64(1); u <= 20; u++ {
		st := db.ShareDue
		if u == 1 {
			st = db.ShareSelf
		} else if u <= i%19+2 {
			st = db.SharePaid
		}
		sp.Shares = append(sp.Shares, db.Share{ID: 69 + u, UserID: u, Name: fmt.Sprintf("Member %02d", u), Amount: eur("10"), Status: st, Method: "card"})
	}
	payer := i%19 + 2
	msg := db.Message{ID: msgID, ThreadID: 1, Kind: "payment", AuthorID: &payer, SplitID: &splitID,
		Body: fmt.Sprintf("Member %02d paid €10.00", payer), Data: []byte(`{"amount":"10.00","currency":"EUR"}`)}
	return &eventBatch{
		events: []db.Event{{ThreadID: 1, ID: 2 * i, Kind: db.EventMessage, MessageID: &msgID},
			{ThreadID: 1, ID: 2*i + 1, Kind: db.EventSplit, SplitID: &splitID, ShareID: &shareID}},
		messages: map[int64]db.Message{msgID: msg},
		splits:   map[int64]db.Split{splitID: sp},
	}
}

// streamBytes is how many bytes s gets of batch; under s.mu.
func streamBytes(s *sink, batch *eventBatch) int64 {
	buf, _ := s.frames(batch)
	return int64(len(buf))
}
