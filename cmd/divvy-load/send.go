package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// sendPair is one sender and the person they send to, in their
// two-person thread.
type sendPair struct {
	from, to *browser
	thread   int64
}

// sendScenario: money sent in two-person threads, as people send it
// (the Send form, then the POST), on the server that accepts any PIN, so
// the figure is the send's ledger write and card alone, like pay-ledger.
// Each worker sends as its own person, so nobody sends two things at once.
func (h *harness) sendScenario(ctx context.Context) error {
	s, err := h.use(ctx, ledgerOnly)
	if errors.Is(err, errSkipped) {
		h.report(row{Scenario: "send", Server: ledgerOnly, Rate: nanf(), P50: nanf(), P99: nanf(), Note: "skipped: needs a server started by the harness (not -url)"})
		return nil
	}
	if err != nil {
		return err
	}
	// Two members of a pool thread are contacts; each sends to the next.
	var pairs []sendPair
	for _, t := range h.w.pool {
		for i, b := range t.payers {
			if len(pairs) == h.cfg.c || len(t.payers) < 2 {
				break
			}
			pairs = append(pairs, sendPair{from: b, to: t.payers[(i+1)%len(t.payers)]})
		}
	}
	if len(pairs) == 0 {
		return errors.New("send: no two payers share a thread")
	}
	h.prog.phase("send: two-person threads", 0)
	if err := parallel(ctx, len(pairs), 8, func(ctx context.Context, i int) error {
		p := &pairs[i]
		pg, err := s.post(ctx, p.from, "/contacts/"+strconv.FormatInt(p.to.id, 10)+"/message", nil, 303)
		if err != nil {
			return err
		}
		m := reThreadPath.FindStringSubmatch(pg.location)
		if m == nil {
			return fmt.Errorf("send: Message went to %q", pg.location)
		}
		p.thread, err = strconv.ParseInt(m[1], 10, 64)
		return err
	}); err != nil {
		return err
	}
	m := h.drive(ctx, "send", len(pairs), h.cfg.duration, func(ctx context.Context, w int) (time.Duration, error) {
		p := pairs[w]
		path := "/threads/" + strconv.FormatInt(p.thread, 10) + "/send"
		to := strconv.FormatInt(p.to.id, 10)
		form, err := s.get(ctx, p.from, path+"?to="+to, 200)
		if err != nil {
			return 0, err
		}
		id, err := paymentIDOf(form.body)
		if err != nil {
			return 0, err
		}
		amount := fmt.Sprintf("%d,%02d", 1+h.w.intn(30), h.w.intn(100))
		start := time.Now()
		_, err = s.post(ctx, p.from, path, url.Values{"payment_id": {id}, "to": {to}, "amount": {amount}, "note": {"load"}, "pin": {payPIN}}, 303)
		return time.Since(start), err
	})
	r := loadRow("send", ledgerOnly, "send/s", len(pairs), m, "two-person threads: GET Send form + POST, LOAD_SKIP_PIN=1 (as pay-ledger); latency of the POST")
	h.report(r)
	h.sum.set("send_per_s", r.Rate)
	h.sum.set("send_p50_ms", r.P50)
	h.sum.set("send_p99_ms", r.P99)
	h.sum.set("send_vs_pgbench", ratio(r.Rate, h.pgbenchTPS))
	return nil
}
