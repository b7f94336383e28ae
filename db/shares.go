package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// RemindEvery is how often a collector may remind one person of one share.
const RemindEvery = 24 * time.Hour

// shareContext loads a share with its split and checks it belongs to the
// thread, so share ids cannot be probed across threads.
func (d *DB) shareContext(ctx context.Context, threadID, splitID, shareID int64) (Split, Share, error) {
	s, err := d.SplitInThread(ctx, threadID, splitID)
	if err != nil {
		return Split{}, Share{}, err
	}
	for _, sh := range s.Shares {
		if sh.ID == shareID {
			return s, sh, nil
		}
	}
	return Split{}, Share{}, ErrNotFound.New("share")
}

// Refusals of the actions on a split and its shares; name is the person
// concerned, collector who collects the split's money.
var (
	// ErrSplitCancelled: the split was cancelled, nothing more is paid into it.
	ErrSplitCancelled = NewReason(ECONFLICT, "split.cancelled")
	// ErrSharePaid: the share is already paid (by this payment or another).
	ErrSharePaid = NewReason(ECONFLICT, "share.paid")
	// ErrNoShareToPay: the viewer has no share to pay in the split.
	ErrNoShareToPay = NewReason(ECONFLICT, "share.none")

	errSplitComplete      = NewReason(ECONFLICT, "split.complete")
	errCashNotYours       = NewReason(EFORBIDDEN, "cash.not_yours", "name")
	errCollectorOnly      = NewReason(EFORBIDDEN, "collector.only", "collector")
	errNothingToReject    = NewReason(ECONFLICT, "cash.nothing_to_reject", "name")
	errCollectorConfirms  = NewReason(EFORBIDDEN, "collector.confirms", "collector")
	errCollectorReminds   = NewReason(EFORBIDDEN, "collector.reminds", "collector")
	errNothingToPay       = NewReason(ECONFLICT, "share.nothing_left", "name")
	ErrCollectorCancels   = NewReason(EFORBIDDEN, "collector.cancels", "collector")
	errCollectorAdds      = NewReason(EFORBIDDEN, "collector.adds")
	errAddNonMember       = NewReason(EINVALID, "split.add_non_member")
	errNoRoom             = NewReason(ECONFLICT, "split.no_room", "collector", "part")
	errPayLinkInvalid     = NewReason(ENOTFOUND, "paylink.invalid")
	errCollectorNotMember = NewReason(EINVALID, "split.collector_not_member")
	errPeopleNotMembers   = NewReason(EINVALID, "split.people_not_members")
)

// RequireOpen refuses when nothing more can be paid into the split: it was
// cancelled, or it is paid in full.
func (s Split) RequireOpen() error { return requireOpen(s) }

func requireOpen(s Split) error {
	switch s.Status {
	case SplitCancelled:
		return ErrSplitCancelled.New()
	case SplitComplete:
		return errSplitComplete.New()
	}
	return nil
}

// ClaimCash marks the caller's own share "paid another way", awaiting the
// collector's confirmation.
func (d *DB) ClaimCash(ctx context.Context, threadID, splitID, shareID, userID int64) error {
	s, sh, err := d.shareContext(ctx, threadID, splitID, shareID)
	if err != nil {
		return err
	}
	if sh.UserID != userID {
		return errCashNotYours.New(sh.Name)
	}
	if err := requireOpen(s); err != nil {
		return err
	}
	if sh.Status == SharePaid {
		return ErrSharePaid.New()
	}
	// The claim is said in the thread too, once, with the share's change.
	err = d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE shares SET cash_claimed_at = now() WHERE id = $1 AND cash_claimed_at IS NULL`, shareID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		if _, err := insertMessage(ctx, tx, threadID, "system", userID, "", &s.ID, SystemData{Event: "cash_claimed",
			Title: s.Title, StoredAmount: storedAmount(sh.Amount)}); err != nil {
			return err
		}
		return addEvent(ctx, tx, s.ThreadID, EventSplit, 0, s.ID)
	})
	return err
}

// shareChange runs one update of a share with its split's live-update
// event, in one transaction.
func (d *DB) shareChange(ctx context.Context, s Split, query string, shareID int64) error {
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, query, shareID); err != nil {
			return err
		}
		return addEvent(ctx, tx, s.ThreadID, EventSplit, 0, s.ID)
	})
	return err
}

// RejectCash is the collector saying "I did not get that money": the share
// is due again.
func (d *DB) RejectCash(ctx context.Context, threadID, splitID, shareID, collectorID int64) error {
	s, sh, err := d.shareContext(ctx, threadID, splitID, shareID)
	if err != nil {
		return err
	}
	if s.CollectorID != collectorID {
		return errCollectorOnly.New(s.CollectorName)
	}
	if sh.Status != SharePending {
		return errNothingToReject.New(sh.Name)
	}
	return d.shareChange(ctx, s, `UPDATE shares SET cash_claimed_at = NULL WHERE id = $1`, shareID)
}

// ConfirmCash is the collector confirming money received outside Divvy: a
// cash transfer between the two people's memo accounts for this thread is
// recorded, and the share is paid. Its id derives from the share, so a
// double tap records it once.
func (d *DB) ConfirmCash(ctx context.Context, threadID, splitID, shareID, collectorID int64) error {
	s, sh, err := d.shareContext(ctx, threadID, splitID, shareID)
	if err != nil {
		return err
	}
	if s.CollectorID != collectorID {
		return errCollectorConfirms.New(s.CollectorName)
	}
	if sh.Status == SharePaid {
		return nil
	}
	if err := requireOpen(s); err != nil {
		return err
	}
	// Every payment the share had, undone or not, names the next: a share
	// given back, or paid in part, is paid in cash under a new id.
	var before int
	if err := d.x.GetContext(ctx, &before, `SELECT count(*) FROM share_payments WHERE share_id = $1 AND kind <> 'cover'`, sh.ID); err != nil {
		return err
	}
	left := sh.Left()
	_, err = d.RecordCash(ctx, CashPayment{ID: cashShareID(shareID, before), PayerID: sh.UserID, CollectorID: s.CollectorID,
		ThreadID: threadID, Amount: left, SplitID: s.ID, ShareID: sh.ID, Then: sharePayment(s, sh, "cash", left)})
	if err != nil {
		return err
	}
	return nil
}

// cashShareID is the id of the cash payment of a share: derived, so that a
// double tap records it once, and counting the share's earlier payments,
// so that a share whose payment was given back, or that is paid in part,
// can be paid in cash again.
func cashShareID(shareID int64, undone int) string {
	if undone == 0 {
		return "cash-share-" + itoa(shareID)
	}
	return "cash-share-" + itoa(shareID) + "." + strconv.Itoa(undone)
}

// Reminder is a reminder posted in a thread, and where to mail it.
type Reminder struct {
	To      User   // the person reminded
	Contact string // their account email, else the one given for payment codes; "" for none
	Split   Split
	Share   Share
}

// Remind posts a reminder to the person of a share, at most once per
// RemindEvery per share, and returns it with who to mail. Only the
// collector may.
func (d *DB) Remind(ctx context.Context, threadID, splitID, shareID, collectorID int64) (Reminder, error) {
	s, sh, err := d.shareContext(ctx, threadID, splitID, shareID)
	if err != nil {
		return Reminder{}, err
	}
	if s.CollectorID != collectorID {
		return Reminder{}, errCollectorReminds.New(s.CollectorName)
	}
	if err := requireOpen(s); err != nil {
		return Reminder{}, err
	}
	if sh.Status == SharePaid || sh.Status == ShareSelf {
		return Reminder{}, errNothingToPay.New(sh.Name)
	}
	var who User
	var contact string
	err = d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		// The condition and the update are one statement: two taps at once
		// send one reminder.
		var at time.Time
		err := tx.GetContext(ctx, &at, `UPDATE shares SET reminded_at = now()
			WHERE id = $1 AND (reminded_at IS NULL OR reminded_at <= now() - $2::interval)
			RETURNING reminded_at`, shareID, RemindEvery.String())
		if errors.Is(err, sql.ErrNoRows) {
			var last time.Time
			tx.GetContext(ctx, &last, `SELECT reminded_at FROM shares WHERE id = $1`, shareID)
			return &RemindTooSoon{Name: sh.Name, Next: last.Add(RemindEvery)}
		}
		if err != nil {
			return err
		}
		if _, err := insertMessage(ctx, tx, threadID, "reminder", collectorID, "", &s.ID,
			ReminderData{ShareID: sh.ID, To: sh.Name, StoredAmount: storedAmount(sh.Left()), Title: s.Title}); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, threadID, EventSplit, 0, s.ID); err != nil {
			return err
		}
		var r userRow
		if err := tx.GetContext(ctx, &r, `SELECT `+userColumns+` FROM users WHERE id = $1`, sh.UserID); err != nil {
			return err
		}
		who = r.user()
		if who.Email != "" {
			return nil
		}
		err = tx.GetContext(ctx, &contact, `SELECT contact_email FROM payment_profiles WHERE user_id = $1`, who.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return Reminder{}, err
	}
	if who.Email != "" {
		contact = who.Email
	}
	return Reminder{To: who, Contact: contact, Split: s, Share: sh}, nil
}

// RemindTooSoon says a share was reminded less than RemindEvery ago.
type RemindTooSoon struct {
	Name string
	Next time.Time
}

func (e *RemindTooSoon) Error() string {
	return "You already reminded " + e.Name + " today; you can again from " + e.Next.UTC().Format("2 Jan 15:04 MST") + "."
}

// AddToSplit gives a member who joined later a share of an open split.
// While nothing is paid or claimed and the split is equal or by shares, the
// whole total is allocated again with them in. Otherwise their share is an
// equal part of the total, taken from the collector's own share, which must
// be large enough. actorID must be the collector, or the person themselves
// arriving by the split's pay link (viaLink).
func (d *DB) AddToSplit(ctx context.Context, threadID, splitID, userID, actorID int64, viaLink bool) error {
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		if err := d.addToSplit(ctx, tx, threadID, splitID, userID, actorID, viaLink); err != nil {
			return err
		}
		return addEvent(ctx, tx, threadID, EventSplit, 0, splitID)
	})
	return err
}

func (d *DB) addToSplit(ctx context.Context, tx *sqlx.Tx, threadID, splitID, userID, actorID int64, viaLink bool) error {
	{
		// Lock the split so two additions or a payment announcement
		// cannot interleave with the re-allocation.
		var row struct {
			Status      string `db:"status"`
			CollectorID int64  `db:"payee_id"`
			Mode        string `db:"mode"`
			Request     bool   `db:"request"`
		}
		if err := tx.GetContext(ctx, &row, `SELECT status, payee_id, mode, request FROM splits WHERE id = $1 AND group_id = $2 FOR UPDATE`, splitID, threadID); err != nil {
			return mapErr(err, "split")
		}
		if row.Request {
			// A request is for one person: nobody takes a part of it.
			return errAskOnePerson.New()
		}
		if actorID != row.CollectorID && !(viaLink && actorID == userID) {
			return errCollectorAdds.New()
		}
		// Someone who adds themselves by the pay link takes their part
		// out of the collector's own share, never out of the others':
		// only the collector re-shares a split among more people.
		selfByLink := actorID != row.CollectorID
		var member bool
		// Locked, as in CreateSplit: see memberOwes.
		if err := tx.GetContext(ctx, &member, `SELECT EXISTS (SELECT 1 FROM group_members WHERE group_id = $1 AND user_id = $2 FOR KEY SHARE)`, threadID, userID); err != nil {
			return err
		}
		if !member {
			return errAddNonMember.New()
		}
		m, err := splitsByID(ctx, tx, []int64{splitID})
		if err != nil {
			return err
		}
		s := m[splitID]
		if err := requireOpen(s); err != nil {
			return err
		}
		if _, ok := s.ShareOf(userID); ok {
			return nil // already in: adding twice is harmless
		}
		untouched := true
		for _, sh := range s.Shares {
			if sh.Status == SharePaid || sh.Status == SharePending {
				untouched = false
			}
		}
		n := len(s.Shares) + 1
		equalPart, err := money.Allocate(s.Total, money.Spec{Mode: money.ModeEqual, People: n})
		if err != nil {
			return err
		}
		if untouched && !selfByLink && (s.Mode == money.ModeEqual || s.Mode == money.ModeShares) {
			spec := money.Spec{Mode: money.ModeEqual, People: n}
			if s.Mode == money.ModeShares {
				spec.Mode, spec.Values = money.ModeShares, make([]decimal.Decimal, n)
				var weights map[int64]string
				var draft SplitDraft
				var raw []byte
				if err := tx.GetContext(ctx, &raw, `SELECT spec FROM splits WHERE group_id = $2 AND id = $1`, splitID, threadID); err == nil && json.Unmarshal(raw, &draft) == nil {
					weights = draft.Values
				}
				for i, sh := range s.Shares {
					v, err := parseValue(weights[sh.UserID], money.ModeShares, s.Total.Currency)
					if err != nil {
						v = decimal.NewFromInt(1)
					}
					spec.Values[i] = v
				}
				spec.Values[n-1] = decimal.NewFromInt(1)
			}
			amounts, err := money.Allocate(s.Total, spec)
			if err != nil {
				return err
			}
			for i, sh := range s.Shares {
				if _, err := tx.ExecContext(ctx, `UPDATE shares SET amount = $2 WHERE group_id = $3 AND id = $1`, sh.ID, amounts[i].Amount, threadID); err != nil {
					return err
				}
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO shares (group_id, split_id, user_id, position, amount) VALUES ($1, $2, $3, $4, $5)`,
				threadID, splitID, userID, n-1, amounts[n-1].Amount)
			if err != nil {
				return err
			}
			return checkSplitAddsUp(ctx, tx, threadID, splitID)
		}
		part := equalPart[n-1]
		own, ok := s.ShareOf(row.CollectorID)
		if !ok || own.Amount.Amount.LessThan(part.Amount) {
			return errNoRoom.New(s.CollectorName, part)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE shares SET amount = amount - $2 WHERE group_id = $3 AND id = $1`, own.ID, part.Amount, threadID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO shares (group_id, split_id, user_id, position, amount) VALUES ($1, $2, $3, $4, $5)`,
			threadID, splitID, userID, n-1, part.Amount)
		if err != nil {
			return err
		}
		return checkSplitAddsUp(ctx, tx, threadID, splitID)
	}
}

// PayLinkJoin is what following a split's pay link came to: the split,
// and whether the person has a share of it (when the split could not take
// them in, they are a member of its thread, which says who to ask).
type PayLinkJoin struct {
	Split   Split
	InSplit bool
}

// JoinBySplitLink makes the user a member of the thread of an open split's
// pay link (a pay link is also an invitation) and gives them a share of the
// split when it can take them in (see AddToSplit), in one transaction.
func (d *DB) JoinBySplitLink(ctx context.Context, token string, userID int64) (PayLinkJoin, error) {
	var ids struct {
		ID       int64 `db:"id"`
		ThreadID int64 `db:"group_id"`
	}
	var in bool
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		// The split first, then the thread's row (by the events), as a
		// payment of the split does.
		// Found by its token first, then locked by (thread, id): a lock
		// must name the thread on Citus.
		err := tx.GetContext(ctx, &ids, `SELECT id, group_id FROM splits WHERE pay_token_hash = $1`, hashToken(token))
		if err == nil {
			err = tx.GetContext(ctx, &ids, `SELECT id, group_id FROM splits WHERE group_id = $1 AND id = $2 AND status = 'open' FOR UPDATE`,
				ids.ThreadID, ids.ID)
		}
		if errors.Is(err, sql.ErrNoRows) {
			return errPayLinkInvalid.New()
		}
		if err != nil {
			return err
		}
		if _, err := addMember(ctx, tx, ids.ThreadID, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT add_share`); err != nil {
			return err
		}
		err = d.addToSplit(ctx, tx, ids.ThreadID, ids.ID, userID, userID, true)
		if code := ErrorCode(err); code == ECONFLICT || code == EFORBIDDEN {
			in = false
			_, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT add_share`)
			return err
		}
		if err != nil {
			return err
		}
		in = true
		return addEvent(ctx, tx, ids.ThreadID, EventSplit, 0, ids.ID)
	})
	if err != nil {
		return PayLinkJoin{}, err
	}
	s, err := d.SplitInThread(ctx, ids.ThreadID, ids.ID)
	return PayLinkJoin{Split: s, InSplit: in}, err
}
