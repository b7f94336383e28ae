// Package sandbox is Divvy's built-in payment provider: it behaves like a
// real provider's test mode, and moves no money.
//
// Cards: the number must pass the Luhn check, the expiry (month and 2- or
// 4-digit year) must not be past, the security code has 3 digits (4 for
// American Express), and the name is required. The brand comes from the
// number's prefix. These test numbers behave specially:
//
//	4242 4242 4242 4242   approved, settles after the delay (as does any other valid number)
//	4000 0000 0000 0002   declined
//	4000 0000 0000 9995   declined for insufficient funds
//	4000 0000 0000 0259   approved, then fails to settle (the payment is voided)
//
// Charges settle after the delay given to New (real providers take one to
// three days; a few seconds suits development). Payouts go to any valid IBAN,
// except RefusedIBAN, which the bank refuses.
//
// The sandbox keeps no state: a token carries the card's brand, last four
// digits, expiry and test behaviour, and a charge id carries its amount,
// creation time and behaviour, each signed with the key given to New. So
// every app process given the same key agrees on every token and charge,
// sharing nothing. The card number and security code are never kept, logged
// or put in a token. Being stateless, it does not remember idempotency keys:
// two charges with one key are two charges (the ledger refunds the one it
// does not record); nor does it remember refunds. FindCharge and FindPayout
// answer from the signed token and the key alone (see FindCharge).
package sandbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/db/money"
)

// RefusedIBAN is a valid IBAN whose payouts the sandbox bank refuses.
const RefusedIBAN = "GB82WEST12345698765432"

// Provider is the sandbox payment provider.
type Provider struct {
	key         []byte
	settleAfter time.Duration
	now         func() time.Time
}

var _ db.PaymentProvider = (*Provider)(nil)

// New returns a sandbox whose tokens and charge ids are signed with key (at
// least 16 bytes, the same in every process) and whose charges settle
// settleAfter after they were made.
func New(key []byte, settleAfter time.Duration) (*Provider, error) {
	if len(key) < 16 {
		return nil, errors.New("sandbox: the signing key must have at least 16 bytes")
	}
	if settleAfter < 0 {
		return nil, errors.New("sandbox: the settlement delay cannot be negative")
	}
	return &Provider{key: append([]byte(nil), key...), settleAfter: settleAfter, now: time.Now}, nil
}

// Tokenize checks the card and returns a token for it.
func (p *Provider) Tokenize(ctx context.Context, in db.CardInput) (db.Card, error) {
	c, out, err := checkCard(in, p.now())
	if err != nil {
		return db.Card{}, err
	}
	c.Token = p.sign("tok", c.Brand, c.Last4, strconv.Itoa(c.ExpMonth), strconv.Itoa(c.ExpYear), string(out))
	return c, nil
}

// Charge charges the card behind token, or declines it.
func (p *Provider) Charge(ctx context.Context, token string, amount money.Money, idempotencyKey string) (db.Charge, error) {
	f, ok := p.open("tok", token, 5)
	if !ok {
		return db.Charge{}, db.ErrCardUnknown.New()
	}
	month, _ := strconv.Atoi(f[2])
	year, _ := strconv.Atoi(f[3])
	now := p.now()
	if expired(month, year, now) {
		return db.Charge{}, db.ErrCardExpiredCharge.New()
	}
	m, err := money.New(amount.Amount, amount.Currency)
	if err != nil || !m.IsPositive() {
		return db.Charge{}, db.ErrChargeAmount.New()
	}
	switch outcome(f[4]) {
	case decline:
		return db.Charge{}, db.ErrCardDeclined.New()
	case noFunds:
		return db.Charge{}, db.ErrCardNoFunds.New()
	}
	key := sha256.Sum256([]byte(idempotencyKey))
	id := p.sign("ch", strconv.FormatInt(now.UnixMilli(), 10), m.Amount.String(), m.Currency, f[4], hex.EncodeToString(key[:6]))
	return db.Charge{ID: id, Amount: m, Brand: f[0], Last4: f[1], CreatedAt: time.UnixMilli(now.UnixMilli())}, nil
}

// charge reads back a charge id.
func (p *Provider) charge(id string) (created time.Time, amount money.Money, out outcome, err error) {
	f, ok := p.open("ch", id, 5)
	if !ok {
		return time.Time{}, money.Money{}, "", db.ErrChargeNotFound.New()
	}
	ms, err1 := strconv.ParseInt(f[0], 10, 64)
	d, err2 := decimal.NewFromString(f[1])
	if err1 != nil || err2 != nil {
		return time.Time{}, money.Money{}, "", db.ErrChargeNotFound.New()
	}
	return time.UnixMilli(ms), money.Money{Amount: d, Currency: f[2]}, outcome(f[3]), nil
}

// Refund accepts a refund of at most the charged amount.
func (p *Provider) Refund(ctx context.Context, chargeID string, amount money.Money, idempotencyKey string) error {
	_, charged, _, err := p.charge(chargeID)
	if err != nil {
		return err
	}
	if amount.Currency != charged.Currency || !amount.IsPositive() || amount.Amount.GreaterThan(charged.Amount) {
		return db.ErrRefundTooMuch.New(charged)
	}
	return nil
}

// Payout accepts a payout to any valid IBAN but RefusedIBAN.
func (p *Provider) Payout(ctx context.Context, dest string, amount money.Money, idempotencyKey string) (string, error) {
	iban := db.NormalizeIBAN(dest)
	if !db.ValidIBAN(iban) {
		return "", db.ErrPayoutIBAN.New()
	}
	if iban == RefusedIBAN {
		return "", db.ErrPayoutRefused.New()
	}
	m, err := money.New(amount.Amount, amount.Currency)
	if err != nil || !m.IsPositive() {
		return "", db.ErrPayoutAmount.New()
	}
	key := sha256.Sum256([]byte(idempotencyKey))
	return p.sign("po", m.Amount.String(), m.Currency, hex.EncodeToString(key[:8])), nil
}

// FindCharge answers what became of a charge asked with idempotencyKey. The
// sandbox keeps nothing, so it answers from the signed token: a card that
// would have been charged was (at since, the earliest it could have been),
// and one that declines, or has expired, was not. It cannot tell a request
// that never reached it from one that did; a real provider can, and answers
// ENOTFOUND for the first.
func (p *Provider) FindCharge(ctx context.Context, token string, amount money.Money, idempotencyKey string, since time.Time) (db.Charge, error) {
	f, ok := p.open("tok", token, 5)
	if !ok {
		return db.Charge{}, errNoCharge.New()
	}
	month, _ := strconv.Atoi(f[2])
	year, _ := strconv.Atoi(f[3])
	m, err := money.New(amount.Amount, amount.Currency)
	if err != nil || !m.IsPositive() || expired(month, year, since) {
		return db.Charge{}, errNoCharge.New()
	}
	switch outcome(f[4]) {
	case decline, noFunds:
		return db.Charge{}, errNoCharge.New()
	}
	key := sha256.Sum256([]byte(idempotencyKey))
	at := since.UnixMilli()
	id := p.sign("ch", strconv.FormatInt(at, 10), m.Amount.String(), m.Currency, f[4], hex.EncodeToString(key[:6]))
	return db.Charge{ID: id, Amount: m, Brand: f[0], Last4: f[1], CreatedAt: time.UnixMilli(at)}, nil
}

// FindPayout answers what became of a payout asked with idempotencyKey:
// payout ids derive from the key, so the answer is the id Payout gave, or
// ENOTFOUND for a destination the bank refuses.
func (p *Provider) FindPayout(ctx context.Context, dest string, amount money.Money, idempotencyKey string) (string, error) {
	id, err := p.Payout(ctx, dest, amount, idempotencyKey)
	if err != nil {
		return "", errNoPayout.New()
	}
	return id, nil
}

var (
	errNoCharge = db.NewReason(db.ENOTFOUND, "sandbox.no_charge")
	errNoPayout = db.NewReason(db.ENOTFOUND, "sandbox.no_payout")
)

// SettlementStatus says pending until the delay has passed since the
// charge, then settled (or failed, for the card that fails to settle).
func (p *Provider) SettlementStatus(ctx context.Context, chargeID string) (db.SettlementStatus, error) {
	created, _, out, err := p.charge(chargeID)
	if err != nil {
		return "", err
	}
	if p.now().Before(created.Add(p.settleAfter)) {
		return db.SettlementPending, nil
	}
	if out == noSettle {
		return db.SettlementFailed, nil
	}
	return db.SettlementSettled, nil
}

// sign returns prefix_payload.mac, the fields joined by "|" in the payload.
func (p *Provider) sign(prefix string, fields ...string) string {
	payload := base64.RawURLEncoding.EncodeToString([]byte(strings.Join(fields, "|")))
	return prefix + "_" + payload + "." + p.mac(prefix, payload)
}

// open verifies a signed string of prefix and returns its n fields.
func (p *Provider) open(prefix, s string, n int) ([]string, bool) {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok {
		return nil, false
	}
	payload, mac, ok := strings.Cut(rest, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(p.mac(prefix, payload))) {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil, false
	}
	f := strings.Split(string(b), "|")
	return f, len(f) == n
}

// mac signs the payload for its prefix, so a token cannot pass for a charge.
func (p *Provider) mac(prefix, payload string) string {
	h := hmac.New(sha256.New, p.key)
	h.Write([]byte(prefix + "\x00" + payload))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:18])
}
