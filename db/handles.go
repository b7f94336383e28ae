package db

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// A handle names a person's personal pay link, /to/<handle>. Handles are
// compared in lower case; they are ASCII letters, digits, dots and dashes
// only, so no handle can pass for another with look-alike letters (a
// Cyrillic "о" in a Latin name).

// Handle rules.
const (
	// HandleChangeEvery is how long a handle is kept before it may be
	// changed again.
	HandleChangeEvery = 30 * 24 * time.Hour
	// HandleRedirectFor is how long an old handle keeps leading to its
	// person; after that anyone may take it.
	HandleRedirectFor = 30 * 24 * time.Hour
)

// Refusals of choosing a handle (worded in views/refusals_text_links.go).
var (
	errHandleFormat   = NewReason(EINVALID, "handle.format")
	errHandleReserved = NewReason(EINVALID, "handle.reserved", "handle")
	errHandleTaken    = NewReason(ECONFLICT, "handle.taken", "handle")
	errHandleTooSoon  = NewReason(ECONFLICT, "handle.too_soon", "from")
	errHandleNoPay    = NewReason(ECONFLICT, "handle.payments_first")
	errHandleSame     = NewReason(EINVALID, "handle.same")
	errHandleLookName = NewReason(ECONFLICT, "handle.lookalike_name", "handle")
	errHandleLookAs   = NewReason(ECONFLICT, "handle.lookalike_handle", "handle")
)

var handlePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,28}[a-z0-9]$`)

// reservedHandles are words a handle may not be: the app's own routes and
// words people would take for the app speaking.
var reservedHandles = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`
		to pay join threads thread groups group money payments payment login logout signup account accounts
		password static healthz readyz manifest.webmanifest icon.svg dev admin administrator root api app www
		divvy support help security abuse billing system settings request requests r scan qr about terms
		privacy legal contact team staff official moderator mod null undefined me you everyone all here
		new edit delete home index favicon.ico robots.txt sitemap.xml well-known .well-known mail email
		webmaster postmaster hostmaster info noreply no-reply bank card cards wallet cash refund refunds`) {
		reservedHandles[w] = true
		reservedSkeletons[handleSkeleton(w)] = true
	}
}

// reservedSkeletons are the reserved words as they read (handleSkeleton):
// "adm1n" and "supp0rt" are refused like "admin" and "support".
var reservedSkeletons = map[string]bool{}

// appSkeleton is "divvy" as it reads: no handle may contain it, so none
// passes for the app ("divvy-support", "d1vvy.help").
var appSkeleton = handleSkeleton("divvy")

// handleSkeleton is what a handle (a-z, 0-9, dots, dashes) reads as once
// the ASCII letters that look alike are made one: dots and dashes out,
// 0 -> o, 1 and i -> l, then rn -> m, vv -> w. It is the ASCII part of the
// database's name_skeleton (migration 205), which also folds display
// names; a test checks that the two agree.
func handleSkeleton(key string) string {
	s := strings.Map(func(r rune) rune {
		switch r {
		case '.', '-':
			return -1
		case '0':
			return 'o'
		case '1', 'i':
			return 'l'
		}
		return r
	}, strings.ToLower(key))
	return strings.ReplaceAll(strings.ReplaceAll(s, "rn", "m"), "vv", "w")
}

// Handle is a person's current handle.
type Handle struct {
	UserID   int64
	Handle   string // as it was typed ("Sam.Martin")
	ChosenAt time.Time
}

// HandleOwner is who a handle leads to: the person and their current
// handle (which differs from the one asked for when it is an old one).
type HandleOwner struct {
	UserID  int64
	Name    string
	Handle  string
	Current bool // the handle asked for is the person's current one
	Accepts bool // the person's payments are set up and active
}

// NormalizeHandle returns the key of a handle as typed ("@Sam.Martin" ->
// "sam.martin"), or EINVALID (handle.format, handle.reserved).
func NormalizeHandle(typed string) (handle, key string, err error) {
	handle = strings.TrimPrefix(strings.TrimSpace(typed), "@")
	key = strings.ToLower(handle)
	if !handlePattern.MatchString(key) || strings.Contains(key, "..") || strings.Contains(key, "--") ||
		strings.Contains(key, ".-") || strings.Contains(key, "-.") {
		return "", "", errHandleFormat.New()
	}
	if sk := handleSkeleton(key); reservedHandles[key] || reservedSkeletons[sk] || strings.Contains(sk, appSkeleton) {
		return "", "", errHandleReserved.New(handle)
	}
	return handle, key, nil
}

// HandleOf returns a person's current handle (ENOTFOUND when they have
// none).
func (d *DB) HandleOf(ctx context.Context, userID int64) (Handle, error) {
	var h struct {
		Handle string    `db:"handle"`
		At     time.Time `db:"chosen_at"`
	}
	err := d.x.GetContext(ctx, &h, `SELECT handle, chosen_at FROM handles WHERE user_id = $1 AND retired_at IS NULL`, userID)
	if err != nil {
		return Handle{}, mapErr(err, "handle")
	}
	return Handle{UserID: userID, Handle: h.Handle, ChosenAt: h.At}, nil
}

// ChooseHandle gives a person with payments set up a handle, or changes it:
// at most once in HandleChangeEvery. The old handle keeps leading to them
// for HandleRedirectFor. A handle someone else holds, or held less than
// HandleRedirectFor ago, is taken (ECONFLICT).
func (d *DB) ChooseHandle(ctx context.Context, userID int64, typed string) (Handle, error) {
	handle, key, err := NormalizeHandle(typed)
	if err != nil {
		return Handle{}, err
	}
	now := d.ledgerTime()
	err = d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		var active bool
		err := tx.GetContext(ctx, &active, `SELECT active FROM payment_profiles WHERE user_id = $1`, userID)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !active) {
			return errHandleNoPay.New()
		}
		if err != nil {
			return err
		}
		// One person's changes one at a time; one handle's claims too.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('handle-user:' || $1::text, 0))`, userID); err != nil {
			return err
		}
		// Claims of handles that read alike, one at a time (the same key
		// reads the same).
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('handle:' || name_skeleton($1), 0))`, key); err != nil {
			return err
		}
		var cur []struct {
			Key string    `db:"handle_key"`
			Hnd string    `db:"handle"`
			At  time.Time `db:"chosen_at"`
		}
		if err := tx.SelectContext(ctx, &cur, `SELECT handle_key, handle, chosen_at FROM handles WHERE user_id = $1 AND retired_at IS NULL`, userID); err != nil {
			return err
		}
		if len(cur) == 1 {
			if cur[0].Hnd == handle {
				return errHandleSame.New()
			}
			if next := cur[0].At.Add(HandleChangeEvery); now.Before(next) {
				return errHandleTooSoon.New(next)
			}
		}
		var holder []struct {
			UserID  int64        `db:"user_id"`
			Retired sql.NullTime `db:"retired_at"`
		}
		if err := tx.SelectContext(ctx, &holder, `SELECT user_id, retired_at FROM handles WHERE handle_key = $1`, key); err != nil {
			return err
		}
		if len(holder) == 1 {
			h := holder[0]
			mine := h.UserID == userID
			stillRedirects := !h.Retired.Valid || now.Before(h.Retired.Time.Add(HandleRedirectFor))
			if !mine && stillRedirects {
				return errHandleTaken.New(handle)
			}
			// An old handle of this person's (coming back to it), or one
			// nobody has held for long enough: it is free.
			if len(cur) == 0 || cur[0].Key != key {
				if _, err := tx.ExecContext(ctx, `DELETE FROM handles WHERE handle_key = $1`, key); err != nil {
					return err
				}
			}
		}
		if err := checkLookalike(ctx, tx, userID, key, handle, now); err != nil {
			return err
		}
		if len(cur) == 1 {
			if cur[0].Key == key {
				// Only its case changes.
				_, err := tx.ExecContext(ctx, `UPDATE handles SET handle = $2, chosen_at = $3 WHERE handle_key = $1`, key, handle, now)
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE handles SET retired_at = $2 WHERE handle_key = $1`, cur[0].Key, now); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO handles (handle_key, handle, user_id, chosen_at) VALUES ($1, $2, $3, $4)`,
			key, handle, userID, now)
		if isUniqueViolation(err) {
			return errHandleTaken.New(handle)
		}
		return err
	})
	if err != nil {
		return Handle{}, err
	}
	return Handle{UserID: userID, Handle: handle, ChosenAt: now}, nil
}

// checkLookalike refuses a handle that reads (name_skeleton) as another
// person's handle, current or still redirecting, or as another person's
// display name, unless it is part of the chooser's own display name or
// legal name ("sam" for Sam Martin, even though another Sam exists).
func checkLookalike(ctx context.Context, tx sqlx.ExtContext, userID int64, key, handle string, now time.Time) error {
	var r struct {
		Handle bool `db:"handle"`
		Name   bool `db:"name"`
		Own    bool `db:"own"`
	}
	err := sqlx.GetContext(ctx, tx, &r, `
		SELECT EXISTS (SELECT 1 FROM handles WHERE name_skeleton(handle_key) = name_skeleton($1) AND user_id <> $2
				AND (retired_at IS NULL OR retired_at > $3)) AS handle,
			EXISTS (SELECT 1 FROM users WHERE name_skeleton(display_name) = name_skeleton($1) AND id <> $2) AS name,
			EXISTS (SELECT 1 FROM users u LEFT JOIN payment_profiles p ON p.user_id = u.id WHERE u.id = $2
				AND (strpos(name_skeleton(u.display_name), name_skeleton($1)) > 0
					OR strpos(name_skeleton(coalesce(p.legal_name, '')), name_skeleton($1)) > 0)) AS own`,
		key, userID, now.Add(-HandleRedirectFor))
	switch {
	case err != nil:
		return err
	case r.Handle:
		return errHandleLookAs.New(handle)
	case r.Name && !r.Own:
		return errHandleLookName.New(handle)
	}
	return nil
}

// HandleOwner finds who a handle (as typed in a link) leads to: its holder,
// or the person who held it less than HandleRedirectFor ago. ENOTFOUND
// otherwise, also for text that cannot be a handle.
func (d *DB) HandleOwner(ctx context.Context, typed string) (HandleOwner, error) {
	_, key, err := NormalizeHandle(typed)
	if err != nil {
		return HandleOwner{}, ErrNotFound.New("handle")
	}
	var o struct {
		UserID  int64          `db:"user_id"`
		Name    string         `db:"display_name"`
		Handle  sql.NullString `db:"current"`
		Retired sql.NullTime   `db:"retired_at"`
		Accepts sql.NullBool   `db:"active"`
	}
	err = d.x.GetContext(ctx, &o, `
		SELECT h.user_id, u.display_name, h.retired_at, c.handle AS current, p.active
		FROM handles h JOIN users u ON u.id = h.user_id
		LEFT JOIN handles c ON c.user_id = h.user_id AND c.retired_at IS NULL
		LEFT JOIN payment_profiles p ON p.user_id = h.user_id
		WHERE h.handle_key = $1 AND (h.retired_at IS NULL OR h.retired_at > $2)`, key, d.ledgerTime().Add(-HandleRedirectFor))
	if err != nil {
		return HandleOwner{}, mapErr(err, "handle")
	}
	if !o.Handle.Valid {
		return HandleOwner{}, ErrNotFound.New("handle")
	}
	return HandleOwner{UserID: o.UserID, Name: o.Name, Handle: o.Handle.String, Current: !o.Retired.Valid,
		Accepts: o.Accepts.Valid && o.Accepts.Bool}, nil
}

// Now is the store's clock (the ledger's), for pages that compare times
// the store returns.
func (d *DB) Now() time.Time { return d.ledgerTime() }

// RequestOwner is the person a request link pays, as a pay link shows
// them.
func (d *DB) RequestOwner(ctx context.Context, userID int64) (HandleOwner, error) {
	var o struct {
		Name    string         `db:"display_name"`
		Handle  sql.NullString `db:"handle"`
		Accepts sql.NullBool   `db:"active"`
	}
	err := d.x.GetContext(ctx, &o, `SELECT u.display_name, h.handle, p.active FROM users u
		LEFT JOIN handles h ON h.user_id = u.id AND h.retired_at IS NULL
		LEFT JOIN payment_profiles p ON p.user_id = u.id
		WHERE u.id = $1`, userID)
	if err != nil {
		return HandleOwner{}, mapErr(err, "user")
	}
	return HandleOwner{UserID: userID, Name: o.Name, Handle: o.Handle.String, Current: true, Accepts: o.Accepts.Valid && o.Accepts.Bool}, nil
}
