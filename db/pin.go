package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// PIN rules: 6 digits; after maxPINTries wrong ones in a row, payments lock
// for pinLockBase, twice as long at each further lock-out (at most
// pinLockMax), until a right PIN resets the growth.
const (
	pinLength   = 6
	maxPINTries = 5
	pinLockBase = 15 * time.Minute
	pinLockMax  = 24 * time.Hour
)

// Refusals of the PIN check. wait is how long payments stay locked (views
// count it in minutes), until when they unlock.
var (
	errPINFormat        = NewReason(EINVALID, "pin.format")
	errPINWrong         = NewReason(EINVALID, "pin.wrong", "left")
	errPINLastTry       = NewReason(EINVALID, "pin.last_try", "wait", "until")
	errPINLocked        = NewReason(ETOOMANY, "pin.locked", "wait", "until")
	errPINChecking      = NewReason(ETOOMANY, "pin.checking")
	errPaymentsNotSetUp = NewReason(ENOTFOUND, "payments.not_set_up")
)

// SetPINPepper sets the server-side secret mixed into every PIN hash (and
// the key of activation code hashes), from PIN_PEPPER. It must be the same in
// every app process and never change: a PIN hashed with another pepper no
// longer matches, and its owner must set up payments again.
func (d *DB) SetPINPepper(pepper string) { d.pinPepperValue = pepper }

// pinPepper returns the pepper; without one, PINs are refused rather than
// hashed weaker than configured.
func (d *DB) pinPepper() (string, error) {
	s := d.pinPepperValue
	if s == "" {
		return "", errors.New("db: no PIN pepper set; call SetPINPepper at start-up")
	}
	return s, nil
}

// pinProblem returns the problem key of a PIN, or "".
func pinProblem(pin string) string {
	if len(pin) != pinLength || strings.Trim(pin, "0123456789") != "" {
		return "pin_format"
	}
	if pinTooSimple(pin) {
		return "pin_too_simple"
	}
	return ""
}

// pinTooSimple reports the PINs tried first by anyone guessing, as banks
// refuse them: one digit repeated or nearly (000000, 000001), a short
// pattern repeated (121212, 123123, 520520), a run with a constant step
// (123456, 987654, 135791), mirrored (123321), in pairs or triples
// (112233, 111222), and the shapes and words of commonPINs.
func pinTooSimple(pin string) bool {
	for _, period := range []int{1, 2, 3} {
		if pin == strings.Repeat(pin[:period], len(pin)/period) {
			return true
		}
	}
	var count [10]int
	for i := range len(pin) {
		if count[pin[i]-'0']++; count[pin[i]-'0'] >= len(pin)-1 {
			return true
		}
	}
	step := (int(pin[1]) - int(pin[0]) + 10) % 10
	run, mirrored := true, true
	for i := 1; i < len(pin); i++ {
		run = run && (int(pin[i])-int(pin[i-1])+10)%10 == step
	}
	for i := range len(pin) / 2 {
		mirrored = mirrored && pin[i] == pin[len(pin)-1-i]
	}
	if run || mirrored {
		return true
	}
	if pin[0] == pin[1] && pin[2] == pin[3] && pin[4] == pin[5] {
		return true
	}
	if pin[0] == pin[1] && pin[1] == pin[2] && pin[3] == pin[4] && pin[4] == pin[5] {
		return true
	}
	return commonPINs[pin]
}

// commonPINs are frequent 6-digit PINs no rule of pinTooSimple covers:
// shapes on the keypad (columns, diagonals, crosses), counting by tens and
// by twos, well-known numbers and the number-words of leaked PIN lists.
var commonPINs = map[string]bool{}

func init() {
	for _, p := range strings.Fields(`
		000123 010203 100200 102030 112358 121314 123000 123098 123412 123451
		123654 123789 123987 131420 135246 135790 142536 142857 147258 147369
		147852 147896 159357 159753 198012 199012 200012 200300 246810 258369
		258963 321654 321987 357159 357951 369147 369852 456123 520131 521314
		654123 741963 753159 753951 789123 789456 789654 852456 951357 951753
		963741 963852 987123 987456`) {
		commonPINs[p] = true
	}
}

// A PIN check first takes a place among the tries in one statement: payments
// not locked, and wrong PINs plus checks in progress under the limit. Racing
// checks therefore cannot all slip past the limit while their hashes are
// computed: of 20 at once, 5 get a place and 15 are refused. A place is only
// held until pin_pending_until: a check that never records its outcome
// frees it then, so a fault never counts as a wrong PIN. The database's
// time comes as $4 (dbNow): Citus refuses now() inside CASE in an UPDATE.
const reservePINTry = `
UPDATE payment_profiles SET
	pin_pending = CASE WHEN pin_pending_until > $4::timestamptz THEN pin_pending ELSE 0 END + 1,
	pin_pending_until = $4::timestamptz + $3::interval
WHERE user_id = $1 AND (pin_locked_until IS NULL OR pin_locked_until <= $4::timestamptz)
	AND pin_attempts + CASE WHEN pin_pending_until > $4::timestamptz THEN pin_pending ELSE 0 END < $2
RETURNING pin_hash`

// A right PIN forgets the wrong tries and the growth of lock-outs, and gives
// its place back.
const pinRight = `
UPDATE payment_profiles SET pin_attempts = 0, pin_lockouts = 0, pin_pending = GREATEST(pin_pending - 1, 0)
WHERE user_id = $1`

// A wrong PIN is counted and gives its place back, in one statement; the
// one that reaches the limit locks payments there and then, each lock-out
// twice as long as the one before, and starts the count again. So a lock
// always has an end, and a count never stays at the limit.
const pinWrong = `
UPDATE payment_profiles SET
	pin_pending = GREATEST(pin_pending - 1, 0),
	pin_attempts = CASE WHEN pin_attempts + 1 >= $2 THEN 0 ELSE pin_attempts + 1 END,
	pin_lockouts = CASE WHEN pin_attempts + 1 >= $2 THEN pin_lockouts + 1 ELSE pin_lockouts END,
	pin_locked_until = CASE WHEN pin_attempts + 1 >= $2
		THEN $5::timestamptz + LEAST($3::interval * power(2, LEAST(pin_lockouts, 16)), $4::interval)
		ELSE pin_locked_until END
WHERE user_id = $1
RETURNING pin_attempts, pin_locked_until, $5::timestamptz AS now`

// A check whose hash could not be computed (the server was too busy) gives
// its place back.
const pinGiveBack = `
UPDATE payment_profiles SET pin_pending = GREATEST(pin_pending - 1, 0) WHERE user_id = $1`

const selectPINState = `
SELECT pin_attempts, pin_locked_until, now() AS now FROM payment_profiles WHERE user_id = $1`

type pinState struct {
	Attempts    int        `db:"pin_attempts"`
	LockedUntil *time.Time `db:"pin_locked_until"`
	Now         time.Time  `db:"now"`
}

// locked reports whether payments are locked at s.Now.
func (s pinState) locked() bool { return s.LockedUntil != nil && s.LockedUntil.After(s.Now) }

// CheckPIN checks the payment PIN of a user who set up payments. It returns
// nil for the right PIN; EINVALID "Wrong PIN, N tries left." for a wrong one
// (the fifth in a row says payments are now locked); ETOOMANY, saying until
// when, while payments are locked, even for the right PIN; ENOTFOUND without
// a payment profile. It does not check that payments are activated: see
// PaymentProfile.Active. Hashing goes through the bounded hash slots, so a
// flood of PINs queues instead of starving the server (EUNAVAILABLE when
// ctx ends while waiting; that try is not counted); a PIN found right in
// the last pinMemoryTTL is answered without hashing (pincache.go).
func (d *DB) CheckPIN(ctx context.Context, userID int64, pin string) error {
	pepper, err := d.pinPepper()
	if err != nil {
		return err
	}
	pin = strings.TrimSpace(pin)
	if len(pin) != pinLength || strings.Trim(pin, "0123456789") != "" {
		return errPINFormat.New()
	}
	try, err := d.takePINTry(ctx, userID)
	if err != nil {
		return err
	}
	ok, err := d.pinMatches(ctx, userID, pin, pepper, try.hash)
	if pinCheckedHook != nil {
		pinCheckedHook(userID)
	}
	if err != nil {
		try.giveBack(ctx)
		return err
	}
	if ok {
		return try.right(ctx)
	}
	wrong, err := try.wrong(ctx)
	if err != nil {
		return err
	}
	if !wrong.locked() {
		return errPINWrong.New(maxPINTries - wrong.Attempts)
	}
	until := *wrong.LockedUntil
	d.log.WarnContext(ctx, "payments locked after wrong PINs", "user_id", userID, "until", until)
	return errPINLastTry.New(until.Sub(wrong.Now), until)
}

// pinMatches reports whether pin is the one hashed in hash: from memory
// when it was found right lately, else by Argon2id (then remembered).
func (d *DB) pinMatches(ctx context.Context, userID int64, pin, pepper, hash string) (bool, error) {
	tag := d.pins.tag(userID, pepper, hash, pin)
	if d.pins.known(userID, tag) {
		return true, nil
	}
	d.pins.hashed.Add(1)
	ok, err := checkSecret(ctx, pin, pepper, hash)
	if ok && err == nil {
		d.pins.remember(userID, tag)
	}
	return ok, err
}

// pinTry is a place among a person's PIN tries, taken by takePINTry before
// a PIN or a passkey is checked. Its outcome is recorded by right, wrong
// or giveBack, even if the browser has gone meanwhile.
type pinTry struct {
	d      *DB
	userID int64
	hash   string // the stored PIN hash
}

// takePINTry takes a place among userID's PIN tries (reservePINTry), or
// says why there is none: payments locked (ETOOMANY, until when), the last
// try being checked right now (ETOOMANY), no payment profile (ENOTFOUND).
func (d *DB) takePINTry(ctx context.Context, userID int64) (*pinTry, error) {
	now, err := d.dbNow(ctx)
	if err != nil {
		return nil, err
	}
	t := &pinTry{d: d, userID: userID}
	err = d.x.GetContext(ctx, &t.hash, reservePINTry, userID, maxPINTries, pinTryTTL.String(), now)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, d.pinRefusal(ctx, userID)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

// giveBack frees the place of a check that could not be made (a fault):
// it counts neither way.
func (t *pinTry) giveBack(ctx context.Context) {
	t.d.x.ExecContext(context.WithoutCancel(ctx), pinGiveBack, t.userID)
}

// right records a right PIN (or passkey): the wrong tries are forgotten.
func (t *pinTry) right(ctx context.Context) error {
	_, err := t.d.x.ExecContext(context.WithoutCancel(ctx), pinRight, t.userID)
	return err
}

// wrong records a wrong PIN (or refused passkey) and returns the count
// after it; the one that reaches the limit locks payments.
func (t *pinTry) wrong(ctx context.Context) (pinState, error) {
	octx := context.WithoutCancel(ctx)
	var s pinState
	now, err := t.d.dbNow(octx)
	if err != nil {
		return s, err
	}
	err = t.d.x.GetContext(octx, &s, pinWrong, t.userID, maxPINTries, pinLockBase.String(), pinLockMax.String(), now)
	return s, err
}

// pinTryTTL is how long a PIN check in progress holds its place among the
// tries (longer than any hash takes); a check that never finished, its
// process killed or its database gone, frees it after that.
var pinTryTTL = time.Minute

// pinCheckedHook, set by tests only, runs between checking the hash and
// recording the outcome: where a crash or a lost database would strike.
var pinCheckedHook func(userID int64)

// pinRefusal explains why no try could be reserved.
func (d *DB) pinRefusal(ctx context.Context, userID int64) error {
	var s pinState
	err := d.x.GetContext(ctx, &s, selectPINState, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return errPaymentsNotSetUp.New()
	}
	if err != nil {
		return err
	}
	if s.locked() {
		return errPINLocked.New(s.LockedUntil.Sub(s.Now), *s.LockedUntil)
	}
	// The last try is being checked right now; it will lock payments if wrong.
	return errPINChecking.New()
}

// PINStatus says how many PIN tries are left and, while payments are locked,
// until when (zero when not locked). ENOTFOUND without a payment profile.
func (d *DB) PINStatus(ctx context.Context, userID int64) (triesLeft int, lockedUntil time.Time, err error) {
	var s pinState
	err = d.x.GetContext(ctx, &s, selectPINState, userID)
	if err != nil {
		return 0, time.Time{}, mapErr(err, "payment_profile")
	}
	if s.locked() {
		return 0, *s.LockedUntil, nil
	}
	return max(maxPINTries-s.Attempts, 0), time.Time{}, nil
}

// dbNow is the database's clock (not d.now, which tests move), for
// statements that compare it inside CASE, which Citus refuses.
func (d *DB) dbNow(ctx context.Context) (time.Time, error) {
	var now time.Time
	err := d.x.GetContext(ctx, &now, `SELECT now()`)
	return now, err
}
