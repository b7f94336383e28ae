package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// stmtKey names a statement in pg_stat_statements: nested statements
// (triggers, foreign key checks) are counted apart from those the server
// sends.
type stmtKey struct {
	id       int64
	toplevel bool
}

type stmtCount struct {
	calls int64
	query string
}

// stmtSnapshot reads the statement counts of the run's database.
func (h *harness) stmtSnapshot(ctx context.Context, adm *sql.DB) (map[stmtKey]stmtCount, error) {
	rows, err := adm.QueryContext(ctx, `SELECT s.queryid, s.toplevel, s.calls, left(regexp_replace(s.query, '\s+', ' ', 'g'), 110)
		FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1`, h.dbName())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[stmtKey]stmtCount{}
	for rows.Next() {
		var k stmtKey
		var c stmtCount
		if err := rows.Scan(&k.id, &k.toplevel, &c.calls, &c.query); err != nil {
			return nil, err
		}
		m[k] = c
	}
	return m, rows.Err()
}

// dbName is the name of the run's Divvy database.
func (h *harness) dbName() string {
	u, err := url.Parse(h.dbURL)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

// stmtDelta is what ran between two snapshots, one payment's worth: the
// statements the server sent, the nested ones, and each statement's calls.
type stmtDelta struct {
	top, nested float64
	rows        []stmtRow
}

type stmtRow struct {
	perOp    float64
	toplevel bool
	query    string
}

func diffStmts(before, after map[stmtKey]stmtCount, ops int) stmtDelta {
	var d stmtDelta
	for k, a := range after {
		n := a.calls - before[k].calls
		if n <= 0 || strings.Contains(a.query, "pg_stat_statements") {
			continue
		}
		per := float64(n) / float64(ops)
		if k.toplevel {
			d.top += per
		} else {
			d.nested += per
		}
		d.rows = append(d.rows, stmtRow{per, k.toplevel, a.query})
	}
	slices.SortFunc(d.rows, func(a, b stmtRow) int {
		switch {
		case a.perOp > b.perOp:
			return -1
		case a.perOp < b.perOp:
			return 1
		}
		return strings.Compare(a.query, b.query)
	})
	return d
}

// statementsPerPayment pays n due shares one after the other, on the
// server running now, and counts in pg_stat_statements what PostgreSQL ran
// for each: the pay page (GET) and the payment (POST) apart. The server's
// background loops (settlement checks, reconciliation) run meanwhile and
// count too: a payment's settlement check is part of its cost. Nothing is
// printed when pg_stat_statements cannot be read.
func (h *harness) statementsPerPayment(ctx context.Context, s *site, label string, n int) error {
	if h.in.adminURL == "" || h.cfg.url != "" {
		return nil
	}
	adm, err := sql.Open("postgres", h.in.adminURL)
	if err != nil {
		return err
	}
	defer adm.Close()
	if _, err := h.stmtSnapshot(ctx, adm); err != nil {
		return nil // no pg_stat_statements in that PostgreSQL
	}
	var tasks []task
	for w := 0; len(tasks) < n && w < len(h.w.queues); w++ {
		for len(tasks) < n {
			k, ok := h.w.pop(w)
			if !ok {
				break
			}
			tasks = append(tasks, k)
		}
	}
	if len(tasks) == 0 {
		return nil
	}
	h.prog.phase(label+": statements per payment", 0)
	ids := make([]string, len(tasks))
	s0, err := h.stmtSnapshot(ctx, adm)
	if err != nil {
		return err
	}
	for i, k := range tasks {
		p, err := s.get(ctx, k.payer, k.payPath(), 200)
		if err != nil {
			return err
		}
		if ids[i], err = paymentIDOf(p.body); err != nil {
			return err
		}
	}
	s1, err := h.stmtSnapshot(ctx, adm)
	if err != nil {
		return err
	}
	for i, k := range tasks {
		if _, err := s.post(ctx, k.payer, k.payPath(), url.Values{"payment_id": {ids[i]}, "pin": {payPIN}}, 303); err != nil {
			return err
		}
	}
	// The settlement loop checks each new card payment at once: let it.
	time.Sleep(1500 * time.Millisecond)
	s2, err := h.stmtSnapshot(ctx, adm)
	if err != nil {
		return err
	}
	get, post := diffStmts(s0, s1, len(tasks)), diffStmts(s1, s2, len(tasks))
	h.prog.clear()
	fmt.Fprintf(h.out, "statements per payment (%s, %d payments one at a time, pg_stat_statements): pay page %.1f sent + %.1f nested (triggers, key checks); payment %.1f sent + %.1f nested, background loops included\n",
		label, len(tasks), get.top, get.nested, post.top, post.nested)
	h.sum.set(strings.ReplaceAll(label, "-", "_")+"_statements", fmt.Sprintf("%.1f", get.top+post.top))
	if h.cfg.stmts > 0 {
		for _, r := range post.rows[:min(len(post.rows), h.cfg.stmts)] {
			kind := "sent"
			if !r.toplevel {
				kind = "nested"
			}
			fmt.Fprintf(h.out, "  %5.2f %-6s %s\n", r.perOp, kind, r.query)
		}
	}
	return nil
}
