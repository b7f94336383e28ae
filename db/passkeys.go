package db

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// Passkeys (WebAuthn, a platform authenticator with user verification) are
// the other way to confirm a payment: "Confirm with fingerprint or face".
// They do not replace the PIN's lock-out: an assertion takes a place among
// the PIN tries, a failed one counts as a wrong PIN, and while payments are
// locked a passkey is refused too. Adding and removing one needs the PIN.
const (
	MaxPasskeys         = 10 // the most passkeys one person has
	maxPasskeyName      = 60
	passkeyChallengeTTL = 5 * time.Minute
	// At most this many challenges of one person are open at once (a page
	// asks for one each time "Confirm with fingerprint or face" is tapped).
	maxOpenChallenges = 20
)

// Refusals of passkeys (worded in views/refusals_text_passkeys.go). The
// ones with "left" counted as a wrong PIN.
var (
	errPasskeysOff       = NewReason(EINVALID, "passkey.off")
	errPasskeyMalformed  = NewReason(EINVALID, "passkey.malformed")
	errPasskeyExpired    = NewReason(EINVALID, "passkey.expired")
	errPasskeyUsed       = NewReason(EINVALID, "passkey.used", "left")
	errPasskeyOther      = NewReason(EINVALID, "passkey.other_payment", "left")
	errPasskeyRefused    = NewReason(EINVALID, "passkey.refused", "left")
	errPasskeyLocked     = NewReason(EINVALID, "passkey.locked", "left")
	errPasskeyCounter    = NewReason(EINVALID, "passkey.counter", "left")
	errPasskeyLastTry    = NewReason(EINVALID, "passkey.last_try", "wait", "until")
	errPasskeyNone       = NewReason(EINVALID, "passkey.none")
	errPasskeyTooMany    = NewReason(ECONFLICT, "passkey.too_many", "max")
	errPasskeyName       = NewReason(EINVALID, "passkey.name", "max")
	errPasskeyNotAdded   = NewReason(EINVALID, "passkey.not_added")
	errPasskeyChallenges = NewReason(ETOOMANY, "passkey.challenges")
	errPasskeyAmount     = NewReason(EINVALID, "passkey.amount")
)

// SetRelyingParty sets where passkeys belong, from BASE_URL: the RP id is
// its host name and the only origin accepted is its scheme, host and port.
// A host that is an IP address cannot have passkeys (WebAuthn needs a
// domain name): passkeys stay off and the error says why.
func (d *DB) SetRelyingParty(baseURL string) error {
	d.webauthn = nil
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
		return fmt.Errorf("passkeys off: BASE_URL %q is not an http(s) URL", baseURL)
	}
	if net.ParseIP(u.Hostname()) != nil {
		return fmt.Errorf("passkeys off: BASE_URL %q names an IP address; passkeys need a domain name", baseURL)
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          u.Hostname(),
		RPDisplayName: "Divvy",
		RPOrigins:     []string{u.Scheme + "://" + u.Host},
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			AuthenticatorAttachment: protocol.Platform,
			ResidentKey:             protocol.ResidentKeyRequirementRequired,
			RequireResidentKey:      protocol.ResidentKeyRequired(),
			UserVerification:        protocol.VerificationRequired,
		},
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: 2 * time.Minute, TimeoutUVD: 2 * time.Minute},
			Registration: webauthn.TimeoutConfig{Timeout: 2 * time.Minute, TimeoutUVD: 2 * time.Minute},
		},
	})
	if err != nil {
		return fmt.Errorf("passkeys off: %w", err)
	}
	d.webauthn = wa
	return nil
}

// PasskeysOn says whether this server can use passkeys (see SetRelyingParty).
func (d *DB) PasskeysOn() bool { return d.webauthn != nil }

// Passkey is one of a person's passkeys, as their settings list it.
type Passkey struct {
	ID         int64
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero until it confirmed a payment
	Locked     bool      // its counter went backwards: it confirms nothing
}

type passkeyRow struct {
	ID           int64          `db:"id"`
	CredentialID []byte         `db:"credential_id"`
	PublicKey    []byte         `db:"public_key"`
	SignCount    int64          `db:"sign_count"`
	Transports   pq.StringArray `db:"transports"`
	Flags        int16          `db:"flags"`
	AAGUID       []byte         `db:"aaguid"`
	Attestation  string         `db:"attestation"`
	Name         string         `db:"name"`
	CreatedAt    time.Time      `db:"created_at"`
	LastUsedAt   *time.Time     `db:"last_used_at"`
	LockedAt     *time.Time     `db:"locked_at"`
}

func (r passkeyRow) credential() webauthn.Credential {
	c := webauthn.Credential{ID: r.CredentialID, PublicKey: r.PublicKey, AttestationFormat: r.Attestation,
		Flags:         webauthn.CredentialFlagsFromMsgpByte(byte(r.Flags)),
		Authenticator: webauthn.Authenticator{AAGUID: r.AAGUID, SignCount: uint32(r.SignCount)}}
	for _, t := range r.Transports {
		c.Transport = append(c.Transport, protocol.AuthenticatorTransport(t))
	}
	return c
}

const passkeyColumns = `id, credential_id, public_key, sign_count, transports, flags, aaguid, attestation, name,
	created_at, last_used_at, locked_at`

func (d *DB) passkeyRows(ctx context.Context, userID int64) ([]passkeyRow, error) {
	var rows []passkeyRow
	err := d.x.SelectContext(ctx, &rows, `SELECT `+passkeyColumns+` FROM passkeys WHERE user_id = $1 ORDER BY id`, userID)
	return rows, err
}

// Passkeys lists a person's own passkeys, oldest first.
func (d *DB) Passkeys(ctx context.Context, userID int64) ([]Passkey, error) {
	rows, err := d.passkeyRows(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Passkey, 0, len(rows))
	for _, r := range rows {
		p := Passkey{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt, Locked: r.LockedAt != nil}
		if r.LastUsedAt != nil {
			p.LastUsedAt = *r.LastUsedAt
		}
		out = append(out, p)
	}
	return out, nil
}

// HasPasskey says whether a person has a passkey that can confirm a
// payment (not locked), on a server where passkeys are on.
func (d *DB) HasPasskey(ctx context.Context, userID int64) (bool, error) {
	if !d.PasskeysOn() {
		return false, nil
	}
	var ok bool
	err := d.x.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM passkeys WHERE user_id = $1 AND locked_at IS NULL)`, userID)
	return ok, err
}

// passkeyUser is a person as the WebAuthn library sees them.
type passkeyUser struct {
	handle []byte
	name   string
	creds  []webauthn.Credential
}

func (u *passkeyUser) WebAuthnID() []byte                         { return u.handle }
func (u *passkeyUser) WebAuthnName() string                       { return u.name }
func (u *passkeyUser) WebAuthnDisplayName() string                { return u.name }
func (u *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// passkeyOwner loads a person with payments set up as the library's user:
// their handle (made the first time) and their passkeys (locked ones only
// when withLocked). ErrSetupFirst without active payments.
func (d *DB) passkeyOwner(ctx context.Context, userID int64, withLocked bool) (*passkeyUser, []passkeyRow, error) {
	var p struct {
		Active bool   `db:"active"`
		Handle []byte `db:"passkey_handle"`
		Name   string `db:"display_name"`
	}
	err := d.x.GetContext(ctx, &p, `SELECT pp.active, pp.passkey_handle, u.display_name
		FROM payment_profiles pp JOIN users u ON u.id = pp.user_id WHERE pp.user_id = $1`, userID)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !p.Active) {
		return nil, nil, ErrSetupFirst
	}
	if err != nil {
		return nil, nil, err
	}
	if p.Handle == nil {
		h := make([]byte, 32)
		rand.Read(h)
		if err := d.x.GetContext(ctx, &p.Handle, `UPDATE payment_profiles SET passkey_handle = COALESCE(passkey_handle, $2)
			WHERE user_id = $1 RETURNING passkey_handle`, userID, h); err != nil {
			return nil, nil, err
		}
	}
	rows, err := d.passkeyRows(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	u := &passkeyUser{handle: p.Handle, name: p.Name}
	for _, r := range rows {
		if r.LockedAt == nil || withLocked {
			u.creds = append(u.creds, r.credential())
		}
	}
	return u, rows, nil
}

// newChallenge stores the session of a ceremony that starts: its challenge
// can then be taken once, until it expires. A person's expired challenges
// go then; too many open ones refuse a new one.
func (d *DB) newChallenge(ctx context.Context, userID int64, purpose string, s *webauthn.SessionData, paymentID string, amount *money.Money) error {
	challenge, err := base64.RawURLEncoding.DecodeString(s.Challenge)
	if err != nil || len(challenge) != 32 {
		return fmt.Errorf("passkeys: the library made a challenge of %d bytes", len(challenge))
	}
	session, err := json.Marshal(s)
	if err != nil {
		return err
	}
	now := d.ledgerTime()
	if _, err := d.x.ExecContext(ctx, `DELETE FROM passkey_challenges WHERE user_id = $1 AND expires_at < $2`,
		userID, now.Add(-time.Hour)); err != nil {
		return err
	}
	var pid, cur any
	var amt any
	if amount != nil {
		pid, amt, cur = paymentID, amount.Amount, amount.Currency
	}
	res, err := d.x.ExecContext(ctx, `INSERT INTO passkey_challenges (user_id, challenge, purpose, payment_id, amount, currency, session, created_at, expires_at)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9
		WHERE (SELECT count(*) FROM passkey_challenges WHERE user_id = $1 AND used_at IS NULL AND expires_at > $8) < $10`,
		userID, challenge, purpose, pid, amt, cur, session, now, now.Add(passkeyChallengeTTL), maxOpenChallenges)
	if err != nil {
		return mapErr(err, "user")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errPasskeyChallenges.New()
	}
	return nil
}

// takenChallenge is a challenge as it was taken.
type takenChallenge struct {
	PaymentID *string          `db:"payment_id"`
	Amount    *decimal.Decimal `db:"amount"`
	Currency  *string          `db:"currency"`
	Session   []byte           `db:"session"`
	Expired   bool             `db:"expired"`
}

// takeChallenge uses a challenge of a person up, in one statement: of two
// requests with the same challenge, one gets it. ok is false when there is
// no such challenge or it was already used.
func (d *DB) takeChallenge(ctx context.Context, userID int64, challenge []byte, purpose string) (c takenChallenge, ok bool, err error) {
	now := d.ledgerTime()
	err = d.x.GetContext(ctx, &c, `UPDATE passkey_challenges SET used_at = $4
		WHERE user_id = $1 AND challenge = $2 AND purpose = $3 AND used_at IS NULL
		RETURNING payment_id, amount, currency, session, expires_at <= $4 AS expired`, userID, challenge, purpose, now)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	return c, err == nil, err
}

// challengeOf reads the challenge a browser answered, from its client data.
func challengeOf(encoded string) ([]byte, bool) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(encoded, "="))
	return b, err == nil && len(b) == 32
}

// BeginPasskey starts adding a passkey, proven with the PIN (a wrong one
// counts as any wrong PIN): it returns the options for the browser's
// navigator.credentials.create (JSON), whose challenge AddPasskey takes.
func (d *DB) BeginPasskey(ctx context.Context, userID int64, pin string) (json.RawMessage, error) {
	if !d.PasskeysOn() {
		return nil, errPasskeysOff.New()
	}
	u, rows, err := d.passkeyOwner(ctx, userID, true)
	if err != nil {
		return nil, err
	}
	if len(rows) >= MaxPasskeys {
		return nil, errPasskeyTooMany.New(MaxPasskeys)
	}
	if err := d.confirmPIN(ctx, userID, pin); err != nil {
		return nil, err
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range u.creds {
		exclude = append(exclude, c.Descriptor())
	}
	creation, session, err := d.webauthn.BeginRegistration(u, webauthn.WithExclusions(exclude),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired))
	if err != nil {
		return nil, err
	}
	if err := d.newChallenge(ctx, userID, "register", session, "", nil); err != nil {
		return nil, err
	}
	return json.Marshal(creation)
}

// AddPasskey finishes adding a passkey: response is the browser's answer
// to BeginPasskey's options (the PublicKeyCredential as JSON), name what
// the person calls it ("" is fine). The challenge is used up whatever the
// outcome.
func (d *DB) AddPasskey(ctx context.Context, userID int64, name, response string) (Passkey, error) {
	if !d.PasskeysOn() {
		return Passkey{}, errPasskeysOff.New()
	}
	name = strings.Join(strings.Fields(name), " ")
	if utf8.RuneCountInString(name) > maxPasskeyName {
		return Passkey{}, errPasskeyName.New(maxPasskeyName)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes([]byte(response))
	if err != nil {
		return Passkey{}, errPasskeyMalformed.New()
	}
	challenge, ok := challengeOf(parsed.Response.CollectedClientData.Challenge)
	if !ok {
		return Passkey{}, errPasskeyMalformed.New()
	}
	c, ok, err := d.takeChallenge(ctx, userID, challenge, "register")
	switch {
	case err != nil:
		return Passkey{}, err
	case !ok:
		return Passkey{}, errPasskeyNotAdded.New()
	case c.Expired:
		return Passkey{}, errPasskeyExpired.New()
	}
	var session webauthn.SessionData
	if err := json.Unmarshal(c.Session, &session); err != nil {
		return Passkey{}, err
	}
	u, rows, err := d.passkeyOwner(ctx, userID, true)
	if err != nil {
		return Passkey{}, err
	}
	if len(rows) >= MaxPasskeys {
		return Passkey{}, errPasskeyTooMany.New(MaxPasskeys)
	}
	cred, err := d.webauthn.CreateCredential(u, session, parsed)
	if err != nil {
		d.log.InfoContext(ctx, "passkey not added", "user_id", userID, "err", err)
		return Passkey{}, errPasskeyNotAdded.New()
	}
	transports := pq.StringArray{}
	for _, t := range cred.Transport {
		transports = append(transports, string(t))
	}
	var p Passkey
	err = d.x.QueryRowxContext(ctx, `INSERT INTO passkeys (user_id, credential_id, public_key, sign_count, transports, flags, aaguid, attestation, name, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (user_id, credential_id) DO NOTHING
		RETURNING id, name, created_at`, userID, cred.ID, cred.PublicKey, int64(cred.Authenticator.SignCount), transports,
		int16(cred.Flags.MsgpByte()), cred.Authenticator.AAGUID, cred.AttestationFormat, name, d.ledgerTime()).Scan(&p.ID, &p.Name, &p.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Passkey{}, errPasskeyNotAdded.New()
	}
	if err != nil {
		return Passkey{}, mapErr(err, "user")
	}
	d.log.InfoContext(ctx, "passkey added", "user_id", userID, "passkey_id", p.ID)
	return p, nil
}

// RemovePasskey removes one of a person's passkeys, proven with the PIN.
// Someone else's passkey is ENOTFOUND, as one that does not exist.
func (d *DB) RemovePasskey(ctx context.Context, userID, passkeyID int64, pin string) error {
	var exists bool
	if err := d.x.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM passkeys WHERE user_id = $1 AND id = $2)`, userID, passkeyID); err != nil {
		return err
	}
	if !exists {
		return ErrNotFound.New("passkey")
	}
	if err := d.confirmPIN(ctx, userID, pin); err != nil {
		return err
	}
	res, err := d.x.ExecContext(ctx, `DELETE FROM passkeys WHERE user_id = $1 AND id = $2`, userID, passkeyID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound.New("passkey")
	}
	d.log.InfoContext(ctx, "passkey removed", "user_id", userID, "passkey_id", passkeyID)
	return nil
}

// PaymentChallenge starts confirming one payment with a passkey: the
// options for the browser's navigator.credentials.get (JSON), with a
// challenge bound to this payment id and amount, valid once for
// passkeyChallengeTTL.
func (d *DB) PaymentChallenge(ctx context.Context, userID int64, paymentID string, amount money.Money) (json.RawMessage, error) {
	if !d.PasskeysOn() {
		return nil, errPasskeysOff.New()
	}
	paymentID = strings.TrimSpace(paymentID)
	if err := checkTransferID(paymentID, 100); err != nil {
		return nil, err
	}
	if m, err := money.New(amount.Amount, amount.Currency); err != nil || !m.IsPositive() {
		return nil, errPasskeyAmount.New()
	}
	u, _, err := d.passkeyOwner(ctx, userID, false)
	if err != nil {
		return nil, err
	}
	if len(u.creds) == 0 {
		return nil, errPasskeyNone.New()
	}
	assertion, session, err := d.webauthn.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, err
	}
	if err := d.newChallenge(ctx, userID, "pay", session, paymentID, &amount); err != nil {
		return nil, err
	}
	return json.Marshal(assertion)
}

// confirmPayment is where a payment is confirmed, whatever its kind: with
// an assertion of one of the payer's passkeys when the form sent one, else
// with the PIN. paymentID and amount are the payment's, which a passkey's
// challenge must have been made for.
func (d *DB) confirmPayment(ctx context.Context, userID int64, pin, passkey, paymentID string, amount money.Money) error {
	if strings.TrimSpace(passkey) == "" {
		return d.confirmPIN(ctx, userID, pin)
	}
	err := d.checkPasskey(ctx, userID, passkey, paymentID, amount)
	var e *Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrSetupFirst):
		return ErrSetupFirst
	case !errors.As(err, &e) || (e.Code != EINVALID && e.Code != ETOOMANY):
		return err
	}
	r := &PINRefused{Err: e, BadFormat: e.Reason == errPasskeyMalformed.Key || e.Reason == errPasskeyExpired.Key}
	r.TriesLeft, _ = e.Params["left"].(int)
	r.LockedUntil, _ = e.Params["until"].(time.Time)
	return r
}

// checkPasskey checks a passkey's assertion of one payment. It takes a
// place among the PIN tries first (refused while payments are locked), then
// the challenge (used up, whatever the outcome), and checks that the
// challenge was made for this payment and amount, then, with the library,
// the origin, RP id, user verification, signature and counter. A refused
// assertion counts as a wrong PIN, except one that could not be read or
// came after its challenge expired (no key was tried). A counter that does
// not grow locks the passkey.
func (d *DB) checkPasskey(ctx context.Context, userID int64, response, paymentID string, amount money.Money) error {
	if !d.PasskeysOn() {
		return errPasskeysOff.New()
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes([]byte(response))
	if err != nil {
		return errPasskeyMalformed.New()
	}
	challenge, ok := challengeOf(parsed.Response.CollectedClientData.Challenge)
	if !ok {
		return errPasskeyMalformed.New()
	}
	try, err := d.takePINTry(ctx, userID)
	if err != nil {
		return err
	}
	refusal, counted, err := d.verifyAssertion(ctx, userID, challenge, parsed, strings.TrimSpace(paymentID), amount)
	switch {
	case err != nil || !counted:
		try.giveBack(ctx)
		if err != nil {
			return err
		}
		return refusal.New()
	case refusal.Key == "":
		return try.right(ctx)
	}
	wrong, err := try.wrong(ctx)
	if err != nil {
		return err
	}
	d.log.WarnContext(ctx, "passkey refused", "user_id", userID, "reason", refusal.Key)
	if !wrong.locked() {
		return refusal.New(maxPINTries - wrong.Attempts)
	}
	until := *wrong.LockedUntil
	d.log.WarnContext(ctx, "payments locked after refused passkeys and wrong PINs", "user_id", userID, "until", until)
	return errPasskeyLastTry.New(until.Sub(wrong.Now), until)
}

// verifyAssertion says why an assertion is refused (a zero Reason when it
// is not) and whether that counts as a wrong try; err is a fault.
func (d *DB) verifyAssertion(ctx context.Context, userID int64, challenge []byte, parsed *protocol.ParsedCredentialAssertionData,
	paymentID string, amount money.Money) (refusal Reason, counted bool, err error) {
	c, ok, err := d.takeChallenge(ctx, userID, challenge, "pay")
	switch {
	case err != nil:
		return Reason{}, false, err
	case !ok:
		return errPasskeyUsed, true, nil
	case c.Expired:
		return errPasskeyExpired, false, nil
	case c.PaymentID == nil || *c.PaymentID != paymentID || c.Amount == nil || c.Currency == nil ||
		*c.Currency != amount.Currency || !c.Amount.Equal(amount.Amount):
		return errPasskeyOther, true, nil
	}
	var session webauthn.SessionData
	if err := json.Unmarshal(c.Session, &session); err != nil {
		return Reason{}, false, err
	}
	u, rows, err := d.passkeyOwner(ctx, userID, false)
	if errors.Is(err, ErrSetupFirst) {
		return errPasskeyRefused, true, nil
	}
	if err != nil {
		return Reason{}, false, err
	}
	var row *passkeyRow
	for i := range rows {
		if bytes.Equal(rows[i].CredentialID, parsed.RawID) {
			row = &rows[i]
		}
	}
	switch {
	case row == nil:
		return errPasskeyRefused, true, nil
	case row.LockedAt != nil:
		return errPasskeyLocked, true, nil
	}
	// Only the passkeys allowed when the challenge was made, that are
	// still there and not locked.
	var allowed [][]byte
	for _, id := range session.AllowedCredentialIDs {
		for _, cr := range u.creds {
			if bytes.Equal(id, cr.ID) {
				allowed = append(allowed, id)
			}
		}
	}
	session.AllowedCredentialIDs = allowed
	if len(allowed) == 0 {
		return errPasskeyRefused, true, nil
	}
	cred, err := d.webauthn.ValidateLogin(u, session, parsed)
	if err != nil {
		d.log.InfoContext(ctx, "passkey assertion refused", "user_id", userID, "passkey_id", row.ID, "err", err)
		return errPasskeyRefused, true, nil
	}
	if cred.Authenticator.CloneWarning {
		return errPasskeyCounter, true, d.lockPasskey(ctx, userID, row.ID)
	}
	// The counter moves forward in the statement that checks it: of two
	// assertions with counters racing, one that is not past the stored
	// counter when its turn comes locks the passkey.
	res, err := d.x.ExecContext(ctx, `UPDATE passkeys SET sign_count = $3, flags = $4, last_used_at = $5
		WHERE user_id = $1 AND id = $2 AND locked_at IS NULL AND (sign_count < $3 OR (sign_count = 0 AND $3 = 0))`,
		userID, row.ID, int64(cred.Authenticator.SignCount), int16(cred.Flags.MsgpByte()), d.ledgerTime())
	if err != nil {
		return Reason{}, false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errPasskeyCounter, true, d.lockPasskey(ctx, userID, row.ID)
	}
	return Reason{}, true, nil
}

// lockPasskey locks a passkey whose counter went backwards: it may have
// been copied, so it confirms nothing any more (its owner removes it).
func (d *DB) lockPasskey(ctx context.Context, userID, passkeyID int64) error {
	_, err := d.x.ExecContext(context.WithoutCancel(ctx), `UPDATE passkeys SET locked_at = $3 WHERE user_id = $1 AND id = $2 AND locked_at IS NULL`,
		userID, passkeyID, d.ledgerTime())
	d.log.WarnContext(ctx, "passkey locked: its counter went backwards", "user_id", userID, "passkey_id", passkeyID)
	return err
}
