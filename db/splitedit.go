package db

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// Refusals of editing a split.
var (
	// ErrEditWho: only the collector or an organizer edits a split.
	ErrEditWho       = NewReason(EFORBIDDEN, "split.edit_who", "collector")
	errEditCurrency  = NewReason(EINVALID, "split.edit_currency", "currency")
	errEditCollector = NewReason(EINVALID, "split.edit_collector", "collector")
	// errEditCannotRefund: an edit would give back a payment the collector
	// no longer has the money for (they withdrew it).
	errEditCannotRefund = NewReason(ECONFLICT, "split.edit_cannot_refund", "collector")
)

// SplitState is a split as its history keeps it: what the page shows.
type SplitState struct {
	Title   string       `json:"title"`
	Note    string       `json:"note"`
	SpentOn string       `json:"spent_on"` // 2006-01-02
	Total   StoredAmount `json:"total"`
	Shares  []ShareState `json:"shares"`
	// Paid in another currency: the amount as paid and the rate used.
	Original *StoredAmount `json:"original,omitempty"`
	Rate     string        `json:"rate,omitempty"`
}

// ShareState is one person's share in a SplitState.
type ShareState struct {
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
	StoredAmount
}

// SplitEdit is one edit of a split, as its history lists it.
type SplitEdit struct {
	ID         int64
	EditorName string
	At         time.Time
	Before     SplitState
	After      SplitState
	GivenBack  int // payments the edit gave back (refunded or reversed)
}

func stateOf(s Split) SplitState {
	st := SplitState{Title: s.Title, Note: s.Note, SpentOn: s.SpentOn.Format(time.DateOnly), Total: storedAmount(s.Total)}
	if s.Original != nil {
		o := storedAmount(*s.Original)
		st.Original, st.Rate = &o, s.Rate.String()
	}
	for _, sh := range s.Shares {
		st.Shares = append(st.Shares, ShareState{UserID: sh.UserID, Name: sh.Name, StoredAmount: storedAmount(sh.Amount)})
	}
	return st
}

// EditSplit changes a split to plan. The title, note and date may change
// at any time; the total and the people too, unless the split was
// cancelled. Shares whose amount does not change keep their payment. A
// share that changes or goes is corrected in the ledger, never rewritten:
// its payment is given back whole (a card payment refunded through the
// refund path, as a cancel does; cash reversed) and, if the person stays,
// the share is due again at its new amount; a claim "paid another way" of
// it is dropped. Only the collector or an organizer may edit; the
// collector and the currency do not change.
//
// It runs under the split's row lock (FOR UPDATE), the lock a cancel takes
// and a payment's transaction takes in share mode while it checks the
// share's amount: a payment commits before the edit reads the shares (and
// is then corrected), or after it and is refused (its charge refunded),
// never in between. The edit, its message, its history row and its
// corrections are one transaction. The provider is told of card refunds
// after commit (and again by TellRefunds if that fails).
func (d *DB) EditSplit(ctx context.Context, p PaymentProvider, threadID, splitID, editorID int64, plan SplitPlan) error {
	var refunds bool
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		var row struct {
			Status        string  `db:"status"`
			CollectorID   int64   `db:"payee_id"`
			CollectorName string  `db:"collector_name"`
			Currency      string  `db:"currency"`
			Role          *string `db:"role"`
			Request       bool    `db:"request"`
		}
		err := tx.GetContext(ctx, &row, `SELECT s.status, s.payee_id, u.display_name AS collector_name, s.currency, m.role, s.request
			FROM splits s JOIN users u ON u.id = s.payee_id
			LEFT JOIN group_members m ON m.group_id = s.group_id AND m.user_id = $3
			WHERE s.id = $2 AND s.group_id = $1 FOR UPDATE OF s`, threadID, splitID, editorID)
		if err != nil {
			return mapErr(err, "split")
		}
		switch {
		case row.Role == nil:
			return ErrNotFound.New("split")
		case row.Request:
			// A request is for one person and one amount: cancel it and
			// ask again rather than turn it into a split.
			return errAskNoEdit.New()
		case editorID != row.CollectorID && *row.Role != RoleOrganizer:
			return ErrEditWho.New(row.CollectorName)
		case plan.Total.Currency != row.Currency:
			return errEditCurrency.New(row.Currency)
		case plan.CollectorID != row.CollectorID:
			return errEditCollector.New(row.CollectorName)
		}
		// The shares' rows too: a claim "paid another way" updates its
		// share without the split's lock.
		if _, err := tx.ExecContext(ctx, `SELECT id FROM shares WHERE group_id = $2 AND split_id = $1 ORDER BY id FOR UPDATE`, splitID, threadID); err != nil {
			return err
		}
		m, err := splitsByID(ctx, tx, []int64{splitID})
		if err != nil {
			return err
		}
		old := m[splitID]
		names, err := memberNames(ctx, tx, threadID, plan.Shares)
		if err != nil {
			return err
		}

		wanted := map[int64]money.Money{}
		for _, s := range plan.Shares {
			wanted[s.UserID] = s.Amount
		}
		// The payments of its shares that nothing undid, oldest part first,
		// with what each stands for (a settlement's cover aside).
		var live []struct {
			ShareID  int64           `db:"share_id"`
			ID       string          `db:"transfer_id"`
			Standing decimal.Decimal `db:"standing"`
		}
		ids := make([]int64, len(old.Shares))
		for i, sh := range old.Shares {
			ids[i] = sh.ID
		}
		if err := tx.SelectContext(ctx, &live, `SELECT share_id, transfer_id, amount - refunded AS standing FROM share_payments
			WHERE share_id = ANY($1) AND undone_by IS NULL AND kind <> 'cover' ORDER BY share_id, part`, pq.Array(ids)); err != nil {
			return err
		}
		var undo []string    // payments to give back whole
		var parts []partBack // payments to give part of back
		var said []shareSaid // what the thread is told of each paid share that changed
		var changed []Share  // shares whose amount changes or that go
		for _, sh := range old.Shares {
			a, stays := wanted[sh.UserID]
			if stays && sameMoney(a, sh.Amount) {
				continue
			}
			changed = append(changed, sh)
			// A share covered by a settle-up stays covered: the settlement
			// moved money for many shares, and positions follow the new
			// amounts anyway.
			if sh.Status == SharePaid && sh.Method == "cover" {
				continue
			}
			var pays []int // its live payments, indexes in live
			for i, p := range live {
				if p.ShareID == sh.ID {
					pays = append(pays, i)
				}
			}
			if len(pays) == 0 {
				continue
			}
			if !stays || !a.IsPositive() {
				// Taken out: every payment of it goes back whole.
				for _, i := range pays {
					undo = append(undo, live[i].ID)
				}
				continue
			}
			// It stays: its payments stay as far as they pay the new
			// amount. Of what they stand for beyond it, the latest
			// payments go back first: whole while the excess covers them,
			// then in part.
			excess := sh.Paid.Amount.Sub(a.Amount)
			switch {
			case excess.IsPositive():
				said = append(said, shareSaid{name: sh.Name, method: sh.Method, back: atScale(excess, a.Currency)})
			case excess.IsNegative():
				said = append(said, shareSaid{name: sh.Name, method: sh.Method, left: atScale(excess.Neg(), a.Currency)})
			}
			for k := len(pays) - 1; k >= 0 && excess.IsPositive(); k-- {
				p := live[pays[k]]
				if excess.GreaterThanOrEqual(p.Standing) {
					undo = append(undo, p.ID)
					excess = excess.Sub(p.Standing)
					continue
				}
				parts = append(parts, partBack{id: p.ID, amount: atScale(excess, a.Currency)})
				excess = decimal.Zero
			}
		}
		sort.Strings(undo)
		moneyChanged := len(changed) > 0 || len(plan.Shares) != len(old.Shares) || !sameMoney(plan.Total, old.Total)
		if moneyChanged && row.Status == SplitCancelled {
			// Only its words change once its money went back.
			return ErrSplitCancelled.New()
		}
		if moneyChanged {
			if err := d.giveBackDifference(ctx, tx, splitID, undo, parts); err != nil {
				if ErrorCode(err) == EINSUFFICIENT {
					return errEditCannotRefund.New(row.CollectorName)
				}
				return err
			}
			for _, sh := range changed {
				if a, ok := wanted[sh.UserID]; ok {
					_, err = tx.ExecContext(ctx, `UPDATE shares SET amount = $2, cash_claimed_at = NULL WHERE group_id = $3 AND id = $1`, sh.ID, a.Amount, threadID)
				} else {
					// Kept, emptied, when the ledger names it or a payment
					// row does (a settlement's cover names no share in the
					// ledger). Asked first: the ledger and the shares may
					// live on different nodes (migration 222).
					var named bool
					if err := tx.GetContext(ctx, &named, `SELECT EXISTS (SELECT 1 FROM ledger_transfers WHERE share_id = $1)
						OR EXISTS (SELECT 1 FROM share_payments WHERE share_id = $1)`, sh.ID); err != nil {
						return err
					}
					if named {
						_, err = tx.ExecContext(ctx, `UPDATE shares SET amount = 0, removed_at = now(), cash_claimed_at = NULL
							WHERE group_id = $2 AND id = $1`, sh.ID, threadID)
					} else {
						_, err = tx.ExecContext(ctx, `DELETE FROM shares WHERE group_id = $2 AND id = $1`, sh.ID, threadID)
					}
				}
				if err != nil {
					return err
				}
			}
			for i, s := range plan.Shares {
				if _, in := old.ShareOf(s.UserID); in {
					if _, err := tx.ExecContext(ctx, `UPDATE shares SET position = $3 WHERE group_id = $4 AND split_id = $1 AND user_id = $2`, splitID, s.UserID, i, threadID); err != nil {
						return err
					}
					continue
				}
				// Someone new, or back after being taken out.
				if _, err := tx.ExecContext(ctx, `INSERT INTO shares (group_id, split_id, user_id, position, amount) VALUES ($1, $2, $3, $4, $5)
					ON CONFLICT (group_id, split_id, user_id) DO UPDATE SET amount = EXCLUDED.amount, position = EXCLUDED.position,
						removed_at = NULL, cash_claimed_at = NULL, reminded_at = NULL`, threadID, splitID, s.UserID, i, s.Amount.Amount); err != nil {
					return err
				}
			}
		}
		var spent any
		if plan.SpentOn != nil {
			spent = plan.SpentOn.Format(time.DateOnly)
		}
		oa, oc, rate := plan.original()
		if _, err := tx.ExecContext(ctx, `UPDATE splits SET title = $2, note = $3, spent_on = $4, total = $5, mode = $6, spec = $7,
			original_amount = $8, original_currency = $9, rate = $10 WHERE id = $1`,
			splitID, plan.Title, plan.Note, spent, plan.Total.Amount, plan.Mode, plan.Spec, oa, oc, rate); err != nil {
			return err
		}
		// Who fronted it, as the form now says (positions follow at commit).
		if _, err := tx.ExecContext(ctx, `DELETE FROM split_payers WHERE group_id = $1 AND split_id = $2`, threadID, splitID); err != nil {
			return err
		}
		for _, p := range plan.Payers {
			if _, err := tx.ExecContext(ctx, `INSERT INTO split_payers (group_id, split_id, user_id, amount) VALUES ($1, $2, $3, $4)`,
				threadID, splitID, p.UserID, p.Amount.Amount); err != nil {
				return err
			}
		}
		if err := checkSplitAddsUp(ctx, tx, threadID, splitID); err != nil {
			return err
		}
		noteSplit(tx, splitID)
		m, err = splitsByID(ctx, tx, []int64{splitID})
		if err != nil {
			return err
		}
		now := m[splitID]
		before, after := stateOf(old), stateOf(now)
		if !moneyChanged && before.Title == after.Title && before.Note == after.Note && before.SpentOn == after.SpentOn &&
			before.Rate == after.Rate && (before.Original == nil) == (after.Original == nil) &&
			(before.Original == nil || *before.Original == *after.Original) {
			return nil // nothing changed: no history, no message
		}
		for i, sh := range after.Shares {
			if sh.Name == "" {
				after.Shares[i].Name = names[sh.UserID]
			}
		}
		b, _ := json.Marshal(before)
		a, _ := json.Marshal(after)
		if _, err := tx.ExecContext(ctx, `INSERT INTO split_edits (group_id, split_id, edited_by, edited_at, before, after, given_back)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, threadID, splitID, editorID, d.ledgerTime(), b, a, pq.Array(nonNil(undo))); err != nil {
			return err
		}
		if moneyChanged {
			if err := d.reopenOrClose(ctx, tx, now); err != nil {
				return err
			}
		}
		msg := SystemData{Event: "split_edited", Title: plan.Title}
		switch {
		case !sameMoney(plan.Total, old.Total):
			msg.Event, msg.StoredAmount, msg.From = "split_changed", storedAmount(plan.Total), old.Total.Amount.String()
		case old.Title != plan.Title:
			msg.Event, msg.OldTitle = "split_renamed", old.Title
		}
		if _, err := insertMessage(ctx, tx, threadID, "system", editorID, "", &splitID, msg); err != nil {
			return err
		}
		// Each paid share that changed and stays: what went back to its
		// payer, or what is left for them to pay.
		for _, g := range said {
			msg := SystemData{Event: "share_refunded", Title: plan.Title, To: g.name, StoredAmount: storedAmount(g.back), Method: g.method}
			if !g.back.IsPositive() {
				msg = SystemData{Event: "share_left", Title: plan.Title, To: g.name, StoredAmount: storedAmount(g.left)}
			}
			if _, err := insertMessage(ctx, tx, threadID, "system", row.CollectorID, "", &splitID, msg); err != nil {
				return err
			}
		}
		refunds = len(undo) > 0 || len(parts) > 0
		return addEvent(ctx, tx, threadID, EventSplit, 0, splitID)
	})
	if err != nil || !refunds {
		return err
	}
	if err := d.tellRefunds(ctx, p, splitID); err != nil {
		// Recorded and committed: the refund worker tells the provider.
		d.log.Warn("an edited split's refunds are told later", "split", splitID, "err", err)
	}
	return nil
}

// partBack is part of a payment an edit gives back.
type partBack struct {
	id     string
	amount money.Money
}

// shareSaid is what the thread is told of a paid share an edit changed
// and kept: what went back to its payer (back), or what is left for them
// to pay (left), and how it was paid (card or cash).
type shareSaid struct {
	name, method string
	back, left   money.Money
}

// giveBackDifference records, in tx, the corrections of an edit: the
// payments undo given back whole, and the parts of payments given back by
// partial refunds. Every account they touch is locked first, all at once
// in the ledger's order.
func (d *DB) giveBackDifference(ctx context.Context, tx *sqlx.Tx, splitID int64, undo []string, parts []partBack) error {
	ids := slices.Clone(undo)
	for _, p := range parts {
		ids = append(ids, p.id)
	}
	locked, err := lockPaymentAccounts(ctx, tx, ids)
	if err != nil {
		return err
	}
	if err := d.giveBackLocked(ctx, tx, splitID, locked, undo); err != nil {
		return err
	}
	for _, p := range parts {
		if _, err := d.partRefund(ctx, tx, splitID, locked.transfers[p.id], p.amount); err != nil {
			return err
		}
	}
	return nil
}

// reopenOrClose sets an edited split's status from its shares: open while
// a share is due, complete (with its "All paid" message) once none is.
func (d *DB) reopenOrClose(ctx context.Context, tx *sqlx.Tx, s Split) error {
	var owing, due int
	if err := tx.QueryRowxContext(ctx, `SELECT count(*), count(*) FILTER (WHERE NOT paid) FROM (
		SELECT `+shareFullyPaidAgg+` AS paid
		FROM shares sh LEFT JOIN share_payments p ON `+paysShare+`
		WHERE sh.group_id = $3 AND sh.split_id = $1 AND sh.user_id <> $2 AND sh.removed_at IS NULL
		GROUP BY sh.id, sh.amount) x`, s.ID, s.CollectorID, s.ThreadID).Scan(&owing, &due); err != nil {
		return err
	}
	if due > 0 || owing == 0 {
		_, err := tx.ExecContext(ctx, `UPDATE splits SET status = 'open', closed_at = NULL WHERE id = $1 AND status = 'complete'`, s.ID)
		return err
	}
	msg, err := markComplete(ctx, tx, s)
	if err != nil || msg == 0 {
		return err
	}
	return addEvent(ctx, tx, s.ThreadID, EventMessage, msg, s.ID)
}

// memberNames returns the names of the plan's people, checking that each
// is a member of the thread.
func memberNames(ctx context.Context, tx *sqlx.Tx, threadID int64, shares []ShareAmount) (map[int64]string, error) {
	ids := make([]int64, len(shares))
	for i, s := range shares {
		ids[i] = s.UserID
	}
	var rows []struct {
		ID   int64  `db:"id"`
		Name string `db:"display_name"`
	}
	// Locked, as in CreateSplit: a member leaving or being removed meanwhile
	// waits for this edit and then sees what they owe in it (memberOwes).
	if err := tx.SelectContext(ctx, &rows, `SELECT u.id, u.display_name FROM users u
		JOIN group_members m ON m.user_id = u.id AND m.group_id = $1 WHERE u.id = ANY($2) FOR KEY SHARE OF m`, threadID, pq.Array(ids)); err != nil {
		return nil, err
	}
	out := map[int64]string{}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			return nil, errPeopleNotMembers.New()
		}
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// SplitHistory lists the edits of a split, oldest first.
func (d *DB) SplitHistory(ctx context.Context, threadID, splitID int64) ([]SplitEdit, error) {
	var rows []struct {
		ID        int64           `db:"id"`
		Editor    string          `db:"display_name"`
		At        time.Time       `db:"edited_at"`
		Before    json.RawMessage `db:"before"`
		After     json.RawMessage `db:"after"`
		GivenBack int             `db:"given_back"`
	}
	if err := d.x.SelectContext(ctx, &rows, `SELECT e.id, u.display_name, e.edited_at, e.before, e.after, cardinality(e.given_back) AS given_back
		FROM split_edits e JOIN users u ON u.id = e.edited_by
		WHERE e.group_id = $1 AND e.split_id = $2 ORDER BY e.id`, threadID, splitID); err != nil {
		return nil, err
	}
	out := make([]SplitEdit, len(rows))
	for i, r := range rows {
		out[i] = SplitEdit{ID: r.ID, EditorName: r.Editor, At: r.At, GivenBack: r.GivenBack}
		if err := json.Unmarshal(r.Before, &out[i].Before); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(r.After, &out[i].After); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SplitDraftOf returns the draft to fill a split's edit form with: the one
// it was last saved from, when that still makes its shares (someone added
// later changes them), else its shares as exact amounts; with the title,
// note, date and total as they are now.
func (d *DB) SplitDraftOf(ctx context.Context, s Split, members []Member) (SplitDraft, error) {
	var raw []byte
	if err := d.x.GetContext(ctx, &raw, `SELECT spec FROM splits WHERE id = $1 AND group_id = $2`, s.ID, s.ThreadID); err != nil {
		return SplitDraft{}, mapErr(err, "split")
	}
	var dr SplitDraft
	if len(raw) > 2 {
		if err := json.Unmarshal(raw, &dr); err != nil {
			return SplitDraft{}, err
		}
	}
	dr.Title, dr.Note, dr.Currency, dr.CollectorID = s.Title, s.Note, s.Total.Currency, s.CollectorID
	dr.Date = s.SpentOn.Format(time.DateOnly)
	if dr.Mode != money.ModeItemized || dr.Total != "" {
		dr.Total = money.FormatPlain(s.Total, "en")
	}
	if plan, problems := dr.Plan(members); len(problems) == 0 && sameShares(plan.Shares, s.Shares) {
		return dr, nil
	}
	dr.Mode, dr.People, dr.Values, dr.Items, dr.Tax, dr.Tip = money.ModeExact, nil, map[int64]string{}, nil, "", ""
	dr.Total = money.FormatPlain(s.Total, "en")
	for _, sh := range s.Shares {
		dr.People = append(dr.People, sh.UserID)
		dr.Values[sh.UserID] = money.FormatPlain(sh.Amount, "en")
	}
	return dr, nil
}

func sameShares(plan []ShareAmount, shares []Share) bool {
	if len(plan) != len(shares) {
		return false
	}
	for i, p := range plan {
		if p.UserID != shares[i].UserID || !sameMoney(p.Amount, shares[i].Amount) {
			return false
		}
	}
	return true
}

func sameMoney(a, b money.Money) bool { return a.Currency == b.Currency && a.Amount.Equal(b.Amount) }
