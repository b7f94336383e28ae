package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// RequestLinkLife is how long a request link can be paid.
const RequestLinkLife = 30 * 24 * time.Hour

// Refusals of request links (worded in views/refusals_text_links.go).
var (
	errReqLinkPaid    = NewReason(ECONFLICT, "reqlink.paid")
	errReqLinkRevoked = NewReason(ECONFLICT, "reqlink.revoked")
	errReqLinkExpired = NewReason(ECONFLICT, "reqlink.expired")
	errReqLinkChanged = NewReason(ECONFLICT, "reqlink.changed")
	errReqLinkNoPay   = NewReason(ECONFLICT, "reqlink.payments_first")
)

// RequestStatus is where a request link stands.
type RequestStatus string

const (
	RequestOpen    RequestStatus = "open"
	RequestPaid    RequestStatus = "paid"
	RequestRevoked RequestStatus = "revoked"
	RequestExpired RequestStatus = "expired"
)

// RequestLink is a link that asks for a fixed amount, payable once.
type RequestLink struct {
	ID           int64
	UserID       int64 // who asks (and is paid)
	UserName     string
	Token        string // the link's token, for its requester ("" when it cannot be shown)
	Amount       money.Money
	Note         string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	Status       RequestStatus
	PaidByName   string
	PaidAt       time.Time
	PaidBy       int64
	PaidTransfer string
}

type requestRow struct {
	ID        int64           `db:"id"`
	UserID    int64           `db:"user_id"`
	UserName  string          `db:"display_name"`
	Nonce     []byte          `db:"nonce"`
	Hash      []byte          `db:"token_hash"`
	Currency  string          `db:"currency"`
	Amount    decimal.Decimal `db:"amount"`
	Note      string          `db:"note"`
	CreatedAt time.Time       `db:"created_at"`
	ExpiresAt time.Time       `db:"expires_at"`
	Revoked   sql.NullTime    `db:"revoked_at"`
	Transfer  sql.NullString  `db:"paid_transfer"`
	PaidBy    sql.NullInt64   `db:"paid_by"`
	PaidAt    sql.NullTime    `db:"paid_at"`
	PaidName  sql.NullString  `db:"paid_name"`
}

const requestColumns = `r.id, r.user_id, u.display_name, r.nonce, r.token_hash, r.currency, r.amount, r.note,
	r.created_at, r.expires_at, r.revoked_at, r.paid_transfer, r.paid_by, r.paid_at, pu.display_name AS paid_name
	FROM request_links r JOIN users u ON u.id = r.user_id LEFT JOIN users pu ON pu.id = r.paid_by`

func (d *DB) request(row requestRow, now time.Time) RequestLink {
	l := RequestLink{ID: row.ID, UserID: row.UserID, UserName: row.UserName, Token: d.showToken(row.Nonce, row.Hash),
		Amount: atScale(row.Amount, row.Currency), Note: row.Note, CreatedAt: row.CreatedAt, ExpiresAt: row.ExpiresAt,
		Status: RequestOpen, PaidByName: row.PaidName.String, PaidAt: row.PaidAt.Time, PaidBy: row.PaidBy.Int64,
		PaidTransfer: row.Transfer.String}
	switch {
	case row.Transfer.Valid:
		l.Status = RequestPaid
	case row.Revoked.Valid:
		l.Status = RequestRevoked
	case !now.Before(row.ExpiresAt):
		l.Status = RequestExpired
	}
	return l
}

// CreateRequestLink makes a request link for a fixed amount and note; the
// requester's payments must be set up, so the money has somewhere to go.
func (d *DB) CreateRequestLink(ctx context.Context, userID int64, amount money.Money, note string) (RequestLink, error) {
	note = strings.TrimSpace(note)
	if err := CheckLinkNote(note); err != nil {
		return RequestLink{}, err
	}
	amount, err := money.New(amount.Amount, amount.Currency)
	if err != nil || !amount.IsPositive() {
		return RequestLink{}, errLinkAmount.New()
	}
	if prof, err := d.PaymentProfile(ctx, userID); ErrorCode(err) == ENOTFOUND || (err == nil && !prof.Active) {
		return RequestLink{}, errReqLinkNoPay.New()
	} else if err != nil {
		return RequestLink{}, err
	}
	nonce, token := d.newLink()
	now := d.ledgerTime()
	var id int64
	err = d.x.GetContext(ctx, &id, `INSERT INTO request_links (user_id, nonce, token_hash, currency, amount, note, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, userID, nonce, hashToken(token), amount.Currency, amount.Amount, note,
		now, now.Add(RequestLinkLife))
	if err != nil {
		return RequestLink{}, mapErr(err, "user")
	}
	return RequestLink{ID: id, UserID: userID, Token: token, Amount: amount, Note: note, CreatedAt: now,
		ExpiresAt: now.Add(RequestLinkLife), Status: RequestOpen}, nil
}

// RequestByToken finds a request link by its token (ENOTFOUND when none
// has it), whatever its status.
func (d *DB) RequestByToken(ctx context.Context, token string) (RequestLink, error) {
	var row requestRow
	err := d.x.GetContext(ctx, &row, `SELECT `+requestColumns+` WHERE r.token_hash = $1`, hashToken(token))
	if err != nil {
		return RequestLink{}, mapErr(err, "request")
	}
	return d.request(row, d.ledgerTime()), nil
}

// RequestLinks lists a person's request links, newest first.
func (d *DB) RequestLinks(ctx context.Context, userID int64, limit int) ([]RequestLink, error) {
	var rows []requestRow
	err := d.x.SelectContext(ctx, &rows, `SELECT `+requestColumns+` WHERE r.user_id = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT $2`,
		userID, limit)
	if err != nil {
		return nil, err
	}
	now := d.ledgerTime()
	out := make([]RequestLink, len(rows))
	for i, row := range rows {
		out[i] = d.request(row, now)
	}
	return out, nil
}

// RequestLinkOf returns one of a person's request links (ENOTFOUND for
// anyone else's).
func (d *DB) RequestLinkOf(ctx context.Context, userID, id int64) (RequestLink, error) {
	var row requestRow
	err := d.x.GetContext(ctx, &row, `SELECT `+requestColumns+` WHERE r.id = $1 AND r.user_id = $2`, id, userID)
	if err != nil {
		return RequestLink{}, mapErr(err, "request")
	}
	return d.request(row, d.ledgerTime()), nil
}

// RevokeRequestLink stops a request link of the requester's from being
// paid. A paid link cannot be revoked (request.paid); revoking twice is
// fine.
func (d *DB) RevokeRequestLink(ctx context.Context, userID, id int64) error {
	return d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		var st struct {
			Paid    bool `db:"paid"`
			Revoked bool `db:"revoked"`
		}
		err := tx.GetContext(ctx, &st, `SELECT paid_transfer IS NOT NULL AS paid, revoked_at IS NOT NULL AS revoked
			FROM request_links WHERE id = $1 AND user_id = $2 FOR UPDATE`, id, userID)
		if err != nil {
			return mapErr(err, "request")
		}
		switch {
		case st.Paid:
			return errReqLinkPaid.New()
		case st.Revoked:
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE request_links SET revoked_at = $2 WHERE id = $1`, id, d.ledgerTime())
		return err
	})
}

// requestPayable refuses a request link that can no longer be paid, or
// whose amount is not the one being paid. With lock, the link's row stays
// locked to the end of the transaction (a payment's, which takes it).
func (d *DB) requestPayable(ctx context.Context, q sqlx.QueryerContext, id, payeeID int64, amount money.Money, lock ...bool) error {
	query := `SELECT user_id, currency, amount, expires_at, revoked_at, paid_transfer FROM request_links WHERE id = $1`
	if len(lock) > 0 && lock[0] {
		query += ` FOR UPDATE`
	}
	var r struct {
		UserID   int64           `db:"user_id"`
		Currency string          `db:"currency"`
		Amount   decimal.Decimal `db:"amount"`
		Expires  time.Time       `db:"expires_at"`
		Revoked  sql.NullTime    `db:"revoked_at"`
		Transfer sql.NullString  `db:"paid_transfer"`
	}
	err := sqlx.GetContext(ctx, q, &r, query, id)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound.New("request")
	}
	if err != nil {
		return err
	}
	switch {
	case r.Transfer.Valid:
		return errReqLinkPaid.New()
	case r.Revoked.Valid:
		return errReqLinkRevoked.New()
	case !d.ledgerTime().Before(r.Expires):
		return errReqLinkExpired.New()
	case r.UserID != payeeID || r.Currency != amount.Currency || !r.Amount.Equal(amount.Amount):
		return errReqLinkChanged.New()
	}
	return nil
}
