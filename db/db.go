// Package db is Divvy's model and its store in PostgreSQL: users, sessions,
// threads, the ledger. Exported methods are use cases that own their
// transaction; unexported helpers take an sqlx.ExtContext.
package db

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/go-webauthn/webauthn/webauthn"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the PostgreSQL driver
)

// DB is the store.
type DB struct {
	x        *sqlx.DB
	url      string // for the LISTEN connection, which is not pooled
	log      *slog.Logger
	now      func() time.Time
	linkKeys [][]byte // derive invite and pay-link tokens; see SetLinkKeys
	// pinPepperValue is mixed into PIN hashes and code HMACs; see SetPINPepper.
	pinPepperValue string
	pins           pinMemory // right PINs remembered; see pincache.go
	// webauthn checks passkeys, for the RP of BASE_URL; nil: passkeys off
	// (see SetRelyingParty).
	webauthn  *webauthn.WebAuthn
	onChange  func(threadID int64) // after commit of evented changes; see SetChangeHook
	stmts     sync.Map             // query text -> *sqlx.Stmt; see stmt.go
	preparing sync.Map             // query text -> true while the pool prepares it
	pages     threadCache          // see ThreadPage
	balances  balancesCache        // see ThreadBalancesAt

	// citus: the database is a Citus coordinator (the citus extension is
	// installed), where transfers keep PostgreSQL's plan choice (see
	// genericPlansSQL).
	citus bool

	settleWindow time.Duration            // see SetSettlementWindow
	faults       func(point string) error // tests only; see fault
}

// maxConns is the most connections a store keeps open (and idle).
const maxConns = 40

// Open connects to PostgreSQL at url and checks the connection.
func Open(ctx context.Context, url string, log *slog.Logger) (*DB, error) {
	x, err := sqlx.Open("postgres", url)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	x.SetMaxOpenConns(maxConns)
	x.SetMaxIdleConns(maxConns)
	x.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := x.PingContext(pctx); err != nil {
		x.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	var citus bool
	if err := x.GetContext(pctx, &citus, `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')`); err != nil {
		x.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &DB{x: x, url: url, log: log, now: time.Now, citus: citus}, nil
}

// Close closes the prepared statements and every connection.
func (d *DB) Close() error {
	d.stmts.Range(func(_, s any) bool { s.(*sqlx.Stmt).Close(); return true })
	return d.x.Close()
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.x.PingContext(ctx) }

// SQL exposes the connection pool for tests and tools that inspect the
// database directly (the audit, load seeding).
func (d *DB) SQL() *sqlx.DB { return d.x }

// inTx runs fn in a transaction, committing on success, and is the one way
// to write a change: after the commit it signals every thread whose events
// fn wrote (see addEvents), so live pages hear of every change and no use
// case has to remember to tell them. Serialization failures and deadlocks
// are retried a bounded number of times, so callers never see them.
func (d *DB) inTx(ctx context.Context, opts *sql.TxOptions, fn func(tx *sqlx.Tx) error) error {
	const attempts = 8
	var err error
	for i := 0; i < attempts; i++ {
		err = d.tryTx(ctx, opts, fn)
		if err == nil || !isRetryable(err) {
			return err
		}
		// Back off a little, growing, so racing transactions spread out.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(i+1) * 2 * time.Millisecond):
		}
	}
	return fmt.Errorf("transaction kept conflicting after %d attempts: %w", attempts, err)
}

func (d *DB) tryTx(ctx context.Context, opts *sql.TxOptions, fn func(tx *sqlx.Tx) error) error {
	tx, err := d.x.BeginTxx(ctx, opts)
	if err != nil {
		return err
	}
	changes := &changeSet{}
	openChanges.Store(tx, changes)
	defer openChanges.Delete(tx)
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	// Credits left for later, then the positions (their accounts and
	// the thread's row are locked after the money accounts).
	if err := applyCredits(ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := d.syncPositions(ctx, tx, changes); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, id := range changes.threads {
		if d.onChange != nil && id != 0 {
			d.onChange(id)
		}
	}
	return nil
}

// prefixed qualifies a column list with a table alias.
func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ", ")
	for i, p := range parts {
		parts[i] = alias + p
	}
	return strings.Join(parts, ", ")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
