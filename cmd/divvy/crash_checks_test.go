package main

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"divvy/db"
)

// checkPINs: nobody is locked out. Everyone pays one more share with the
// right PIN: the friends a split the organizer collects, the organizer one
// that a friend collects. It returns how many could.
func (w *crashWorld) checkPINs(t *testing.T) int {
	t.Helper()
	everyone := append([]*crashPerson{w.org}, w.payers...)
	toOrg, err := w.newSplit(w.org, everyone)
	if err != nil {
		t.Fatal(err)
	}
	toFriend, err := w.newSplit(w.payers[0], []*crashPerson{w.payers[0], w.org})
	if err != nil {
		t.Fatal(err)
	}
	ok := 0
	for _, p := range everyone {
		split := toOrg
		if p == w.org {
			split = toFriend
		}
		if w.payRightPIN(t, p, split) {
			ok++
		}
	}
	return ok
}

// enforceNobodyLockedOut makes a right PIN refused at the end a failure
// (after a minute at most: see pinPlaceHeld).
const enforceNobodyLockedOut = true

// pinPlaceHeld is how long a PIN check a kill interrupted may still hold
// its place among the tries (db's pinTryTTL, and a margin): until then the
// right PIN may be answered "try again in a moment", never after.
const pinPlaceHeld = 65 * time.Second

// payRightPIN pays p's share of the split with the right PIN, and says
// whether it went through. "Try again in a moment" (429 without a lock of
// minutes) is tried again until pinPlaceHeld after the last kill.
func (w *crashWorld) payRightPIN(t *testing.T, p *crashPerson, split int64) bool {
	t.Helper()
	path := w.splitPath(split) + "/pay"
	for {
		page := p.web.get(path)
		m := rePaymentID.FindStringSubmatch(page.body)
		if m == nil {
			t.Errorf("nobody locked out: %s's pay page has no form (status %d)%s", p.name, page.status, says(page.body))
			return false
		}
		a := p.web.post(path, url.Values{"payment_id": {m[1]}, "pin": {crashPIN}})
		if a.err == nil && a.status == 303 {
			if waited := time.Since(w.lastKill); p.waitedForPIN {
				w.t.Logf("%s's right PIN works again %v after the last kill", p.name, waited.Round(time.Second))
			}
			return true
		}
		retry, _ := strconv.Atoi(a.retryAfter)
		if !enforceNobodyLockedOut && a.status == 429 {
			t.Logf("NOT ENFORCED (issue 13 item 1): %s paid with the right PIN and got %d%s", p.name, a.status, says(a.body))
			return false
		}
		if a.err != nil || a.status != 429 || retry > 60 || time.Since(w.lastKill) > pinPlaceHeld {
			t.Errorf("nobody locked out: %s paid with the right PIN and got %d %v%s (%v after the last kill)",
				p.name, a.status, a.err, says(a.body), time.Since(w.lastKill).Round(time.Second))
			return false
		}
		p.waitedForPIN = true
		time.Sleep(time.Second)
	}
}

// checkLedger: every acknowledged operation is in the ledger exactly once,
// and no split paid in full is left open.
func (w *crashWorld) checkLedger(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	x := w.store.SQL()
	count := func(query string, args ...any) int {
		var n int
		if err := x.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	// Ids a client sends may be kept scoped to its sender (issue 12): the
	// ledger id contains the form's id.
	for id := range w.acked.card {
		if n := count(`SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment' AND strpos(id, $1) > 0`, id); n != 1 {
			t.Errorf("acknowledged card payment %s is in the ledger %d times, want 1", id, n)
		}
	}
	for id := range w.acked.payouts {
		if n := count(`SELECT count(*) FROM ledger_transfers WHERE kind = 'payout' AND strpos(id, $1) > 0`, id); n != 1 {
			t.Errorf("acknowledged withdrawal %s is in the ledger %d times, want 1", id, n)
		}
	}
	for op, n := range w.acked.noEffect {
		t.Errorf("acknowledged but not done (%d times): %s", n, op)
	}
	for share := range w.acked.cash {
		if n := count(`SELECT count(*) FROM ledger_transfers WHERE kind = 'cash' AND share_id = $1`, share); n < 1 {
			t.Errorf("acknowledged cash confirmation of share %d is not in the ledger", share)
		}
	}
	// At most once: no share is paid twice by payments that stand.
	if n := count(`SELECT count(*) FROM (SELECT share_id FROM ledger_transfers t
		WHERE t.kind IN ('card_payment', 'cash')
		  AND NOT EXISTS (SELECT 1 FROM ledger_transfers u WHERE u.reverses = t.id OR (u.pending_of = t.id AND u.kind = 'void'))
		GROUP BY share_id HAVING count(*) > 1) twice`); n > 0 {
		t.Errorf("%d shares are paid twice", n)
	}

	splits, stored, err := w.splitStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range paidButOpen(splits, stored) {
		t.Errorf("split %d is paid in full but %s in the database", id, stored[id])
	}
	for id, s := range splits {
		if stored[id] == db.SplitComplete {
			if n := count(`SELECT count(*) FROM messages WHERE split_id = $1 AND kind = 'system' AND data->>'event' = 'split_closed'`, id); n != 1 {
				t.Errorf("split %d is closed but says \"All paid\" %d times", id, n)
			}
		}
		if !w.acked.cancels[id] {
			continue
		}
		if s.Status != db.SplitCancelled {
			t.Errorf("acknowledged cancel of split %d: it is %s", id, s.Status)
		}
		for _, sh := range s.Shares {
			if sh.Status == db.SharePaid {
				var after bool
				x.GetContext(ctx, &after, `SELECT t.created_at > s.closed_at FROM ledger_transfers t, splits s WHERE t.id = $1 AND s.id = $2`, sh.TransferID, id)
				when := "before"
				if after {
					when = "after"
				}
				t.Errorf("acknowledged cancel of split %d: %s's payment %s, made %s the cancel, not refunded", id, sh.Name, sh.TransferID, when)
			}
		}
	}
	t.Logf("ledger checks: %d card payments and %d withdrawals exactly once, %d cash confirmations present, no share paid twice, %d cancels refunded, %d splits closed when paid in full",
		len(w.acked.card), len(w.acked.payouts), len(w.acked.cash), len(w.acked.cancels), len(splits))
}

// crashState is what a kill left, for the figures.
type crashState struct {
	paidOpen      int // splits paid in full but open
	halfCancelled int // open splits with a payment refunded
	// pinTries is the most PIN tries counted for one person, who types
	// only right PINs: tries a kill left counted.
	pinTries int
}

func (w *crashWorld) afterKill(t *testing.T) crashState {
	ctx := context.Background()
	splits, stored, err := w.splitStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := crashState{paidOpen: len(paidButOpen(splits, stored))}
	if err := w.store.SQL().GetContext(ctx, &st.pinTries, `SELECT coalesce(max(pin_attempts), 0) FROM payment_profiles`); err != nil {
		t.Fatal(err)
	}
	for id := range splits {
		if stored[id] != db.SplitOpen {
			continue
		}
		var n int
		err := w.store.SQL().GetContext(ctx, &n, `SELECT count(*) FROM ledger_transfers t
			WHERE t.split_id = $1 AND EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.reverses = t.id)`, id)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			st.halfCancelled++
		}
	}
	return st
}

// splitStates reads every split of the thread as the app shows it, and
// the status the database keeps.
func (w *crashWorld) splitStates(ctx context.Context) (map[int64]db.Split, map[int64]string, error) {
	w.mu.Lock()
	ids := append([]int64(nil), w.splits...)
	w.mu.Unlock()
	splits, err := w.store.Splits(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	var rows []struct {
		ID     int64  `db:"id"`
		Status string `db:"status"`
	}
	if err := w.store.SQL().SelectContext(ctx, &rows, `SELECT id, status FROM splits WHERE group_id = $1`, w.thread); err != nil {
		return nil, nil, err
	}
	stored := map[int64]string{}
	for _, r := range rows {
		stored[r.ID] = r.Status
	}
	return splits, stored, nil
}

// paidButOpen lists the splits whose owing shares are all paid but that
// the database does not keep complete: the collector can still cancel
// them, and nobody was told "All paid". (Splits also shows such a split
// as complete; the database is what a cancel or a payment reads.)
func paidButOpen(splits map[int64]db.Split, stored map[int64]string) []int64 {
	var out []int64
	for id, s := range splits {
		if paid, of, _, _ := s.Progress(); of > 0 && paid == of && stored[id] == db.SplitOpen {
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

var reProblem = regexp.MustCompile(`data-testid="(?:error-message|flash-message|form-error|problem-[a-z_]+)"[^>]*>([^<]*)<`)

// says is what an error page tells, for failure messages.
func says(body string) string {
	var out string
	for _, m := range reProblem.FindAllStringSubmatch(body, 3) {
		out += ": " + strings.TrimSpace(html.UnescapeString(m[1]))
	}
	return out
}
