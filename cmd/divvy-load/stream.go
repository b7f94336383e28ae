package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
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
// first gets the outcome of the first connection. Its socket is read by a
// poller (see poller), or with -stream-goroutines by this goroutine
// through net/http.
func (h *harness) readStream(ctx context.Context, ss *site, b *browser, path string, st *stream, plan *livePlan,
	received *atomic.Int64, first chan<- error) {
	on := func(ev *sseEvent) {
		switch ev.Name {
		case "split":
			h.sawSplit(ev.Data, st, plan, received)
		case "reload":
			st.reloads++
		}
	}
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
		var p *sseParser
		if h.cfg.streamGoroutines {
			p, err = readStreamHere(ctx, ss, req, on, &first)
		} else {
			p, err = readStreamPolled(ctx, req, on, &first)
		}
		if first == nil && err != nil && ctx.Err() == nil {
			// Not the first connection (whose error the opening reports).
			h.errs.add("live", err)
			h.prog.errs.Add(1)
		}
		if first != nil {
			first <- err
			return
		}
		retry := time.Second
		if p != nil {
			if id := p.LastID(); id != "" {
				lastID = id
			}
			if p.Retry > 0 {
				retry = p.Retry
			}
		}
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			st.reconnects++
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry):
		}
	}
}

// connected tells the opening how the first connection went, once.
func connected(first *chan<- error, err error) {
	if *first != nil {
		*first <- err
		*first = nil
	}
}

// readStreamHere opens the stream with net/http and reads it in this
// goroutine until it ends. It returns the parser (nil if the stream did
// not open) and why it did not open.
func readStreamHere(ctx context.Context, ss *site, req *http.Request, on func(*sseEvent), first *chan<- error) (*sseParser, error) {
	res, err := ss.client.Do(req)
	if err == nil && res.StatusCode != http.StatusOK {
		res.Body.Close()
		err = fmt.Errorf("GET %s: status %d", route(req.URL.Path), res.StatusCode)
	}
	if err != nil {
		return nil, err
	}
	connected(first, nil)
	defer res.Body.Close()
	r := newSSEReader(res.Body, 16<<10)
	for {
		ev, err := r.Next()
		if err != nil {
			return &r.sseParser, nil
		}
		on(ev)
	}
}

// streamPollers read every stream of the process (see poller).
var streamPollers = sync.OnceValues(newPollers)

// readStreamPolled opens the stream on a connection of its own, reads the
// answer's head, and hands the socket to a poller until the stream ends or
// ctx does. It returns the parser (nil if the stream did not open) and why
// it did not open.
func readStreamPolled(ctx context.Context, req *http.Request, on func(*sseEvent), first *chan<- error) (*sseParser, error) {
	pp, err := streamPollers()
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", req.URL.Host)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", route(req.URL.Path), err)
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReaderSize(conn, 4<<10)
	res, err := func() (*http.Response, error) {
		if err := req.Write(conn); err != nil {
			return nil, err
		}
		return http.ReadResponse(br, req)
	}()
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %d", res.StatusCode)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("GET %s: %w", route(req.URL.Path), err)
	}
	conn.SetDeadline(time.Time{})
	// What came with the head: the start of the body.
	head, _ := br.Peek(br.Buffered())
	p := &sseParser{}
	s, err := pp.add(conn, head, p, on)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", route(req.URL.Path), err)
	}
	connected(first, nil)
	select {
	case <-s.ended:
	case <-ctx.Done():
	}
	pp.remove(s)
	return p, nil
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
