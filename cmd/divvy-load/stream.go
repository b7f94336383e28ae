package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// stream is one open event stream and what it saw.
type stream struct {
	recv       []int64 // unix nanoseconds when the split event of payment i arrived; 0: not yet
	reconnects int
	reloads    int
}

// awaitEvents waits until every stream has the split event of every
// payment made so far. Late events are not lost events: it waits as long
// as events keep arriving, and gives up after stall without any, or at
// limit.
func (h *harness) awaitEvents(ctx context.Context, plan *livePlan, upto, n int, received *atomic.Int64) {
	stall, limit := 15*time.Second, 5*time.Minute
	if h.cfg.quick {
		stall, limit = 3*time.Second, 30*time.Second
	}
	want := 0
	for i := range upto {
		if plan.pays[i].ok {
			want++
		}
	}
	want *= n
	h.prog.phase("live: waiting for the last events", 0)
	start := time.Now()
	last, lastAt := received.Load(), time.Now()
	for ctx.Err() == nil && time.Since(start) < limit && time.Since(lastAt) < stall {
		got := received.Load()
		if int(got) >= want {
			return
		}
		if got != last {
			last, lastAt = got, time.Now()
		}
		h.prog.note(fmt.Sprintf("%d of %d events", got, want))
		time.Sleep(50 * time.Millisecond)
	}
}

// readStream is one browser tab on the live thread: an EventSource that
// reconnects (with Last-Event-ID) when the stream ends, as browsers do.
// first gets the outcome of the first connection.
func (h *harness) readStream(ctx context.Context, ss *site, b *browser, path string, st *stream, plan *livePlan,
	received *atomic.Int64, first chan<- error) {
	lastID := ""
	for {
		req, err := ss.newRequest(ctx, b, http.MethodGet, path, nil)
		if err != nil {
			first <- err
			return
		}
		req.Header.Set("Accept", "text/event-stream")
		req.Header.Set("Cache-Control", "no-cache")
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		res, err := ss.client.Do(req)
		if err == nil && res.StatusCode != http.StatusOK {
			res.Body.Close()
			err = fmt.Errorf("GET %s: status %d", route(path), res.StatusCode)
		}
		if first != nil {
			first <- err
			first = nil
			if err != nil {
				return
			}
		}
		retry := time.Second
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			h.errs.add("live", err)
			h.prog.errs.Add(1)
		} else {
			r := newSSEReader(res.Body, 16<<10)
			for {
				ev, err := r.Next()
				if err != nil {
					break
				}
				switch ev.Name {
				case "split":
					h.sawSplit(ev.Data, st, plan, received)
				case "reload":
					st.reloads++
				}
			}
			res.Body.Close()
			if id := r.LastID(); id != "" {
				lastID = id
			}
			if r.Retry > 0 {
				retry = r.Retry
			}
			if ctx.Err() != nil {
				return
			}
			st.reconnects++
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry):
		}
	}
}

var splitIDMark = []byte(`id="split-`)

// paidHead comes before the name of a paid share on a split card.
var paidHead = []byte(`data-status="paid" data-name="`)

// showsPaid reports whether the card shows the share of name (tail: the
// name and its closing quote) paid: bytes.Contains(data, paidHead+tail),
// found by the name, whose first letter is rare in HTML, rather than by
// paidHead, whose 'd' starts every data- attribute: with 10 000 streams
// this search is the harness's hottest loop.
func showsPaid(data, tail []byte) bool {
	for i := 0; i < len(data); {
		j := bytes.Index(data[i:], tail)
		if j < 0 {
			return false
		}
		at := i + j
		if at >= len(paidHead) && bytes.Equal(data[at-len(paidHead):at], paidHead) {
			return true
		}
		i = at + 1
	}
	return false
}

// sawSplit records the payments a split card shows paid for the first time.
func (h *harness) sawSplit(data []byte, st *stream, plan *livePlan, received *atomic.Int64) {
	i := bytes.Index(data, splitIDMark)
	if i < 0 {
		return
	}
	rest := data[i+len(splitIDMark):]
	j := 0 // the id's digits: id="split-7" (a card) or id="split-7-progress" (one share)
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	id, err := strconv.ParseInt(string(rest[:j]), 10, 64)
	if err != nil {
		return
	}
	now := time.Now().UnixNano()
	issued := int(plan.issued.Load())
	for _, k := range plan.bySplit[id] {
		if k >= issued {
			break
		}
		if st.recv[k] == 0 && showsPaid(data, plan.pays[k].paid) {
			st.recv[k] = now
			received.Add(1)
		}
	}
}
