package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// The read queries of every thread page run as prepared statements. lib/pq
// otherwise sends a parameterised query in two round trips and PostgreSQL
// parses and plans it on every call; prepared, it is one round trip and,
// once PostgreSQL settles on a generic plan, no planning. A statement is
// prepared once per pool, and database/sql prepares it on each connection
// the first time it runs there. PostgreSQL plans it again by itself when a
// table it reads changes. (This needs session-level connections: a pooler
// in transaction mode would lose the statements between calls.)

// stmt returns the prepared statement for query on d's pool.
func (d *DB) stmt(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if s, ok := d.stmts.Load(query); ok {
		return s.(*sqlx.Stmt), nil
	}
	s, err := d.x.PreparexContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if old, raced := d.stmts.LoadOrStore(query, s); raced {
		s.Close()
		return old.(*sqlx.Stmt), nil
	}
	return s, nil
}

// prep routes q's statements (q is d's pool or a transaction of it)
// through d's prepared statements, for code written against sqlx's
// interfaces. A statement that cannot be prepared runs unprepared.
func (d *DB) prep(q sqlx.ExtContext) sqlx.ExtContext { return prepared{d, q} }

type prepared struct {
	d *DB
	sqlx.ExtContext
}

// stmt is query's statement through p's querier (see preparedIn), nil if
// there is none. A transaction's copy is closed with the transaction: rows
// read through it may outlive this call.
func (p prepared) stmt(ctx context.Context, query string) *sqlx.Stmt {
	s, _, err := p.d.preparedIn(ctx, p.ExtContext, query)
	if err != nil {
		return nil
	}
	return s
}

func (p prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := p.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return p.ExtContext.QueryContext(ctx, query, args...)
}

func (p prepared) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	if s := p.stmt(ctx, query); s != nil {
		return s.QueryxContext(ctx, args...)
	}
	return p.ExtContext.QueryxContext(ctx, query, args...)
}

func (p prepared) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	if s := p.stmt(ctx, query); s != nil {
		return s.QueryRowxContext(ctx, args...)
	}
	return p.ExtContext.QueryRowxContext(ctx, query, args...)
}

func (p prepared) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := p.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return p.ExtContext.ExecContext(ctx, query, args...)
}

// preparedIn returns query's statement for use through q: the pool's own,
// or inside a transaction the transaction's copy of it (which reuses the
// connection's prepared statement). Closing the copy is the caller's job.
//
// Inside a transaction only a statement the pool already has is used:
// preparing one takes a second connection from the pool, and a transaction
// that waits for a connection while holding its locks can wait forever on
// transactions that hold every other connection and wait for those locks.
// Such a query runs unprepared on the transaction's own connection, and the
// pool prepares it in the background for later uses.
func (d *DB) preparedIn(ctx context.Context, q sqlx.QueryerContext, query string) (s *sqlx.Stmt, done func(), err error) {
	switch q := q.(type) {
	case *sqlx.Tx:
		cached, ok := d.stmts.Load(query)
		if !ok {
			d.prepareLater(query)
			return nil, nil, errNotPrepared
		}
		ts := q.StmtxContext(ctx, cached.(*sqlx.Stmt))
		return ts, func() { ts.Close() }, nil
	case *sqlx.DB:
		if q == d.x {
			s, err = d.stmt(ctx, query)
			if err != nil {
				return nil, nil, err
			}
			return s, func() {}, nil
		}
	}
	return nil, nil, fmt.Errorf("prepared statement through %T, not the store's pool or a transaction of it", q)
}

// errNotPrepared says a transaction's query has no prepared statement yet
// and runs unprepared.
var errNotPrepared = errors.New("statement not prepared yet")

// prepareLater prepares query on the pool outside the caller's transaction,
// once however many transactions ask at the same time.
func (d *DB) prepareLater(query string) {
	if _, busy := d.preparing.LoadOrStore(query, true); busy {
		return
	}
	go func() {
		defer d.preparing.Delete(query)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		d.stmt(ctx, query)
	}()
}

// selectPrepared is sqlx.SelectContext through query's prepared statement.
func (d *DB) selectPrepared(ctx context.Context, q sqlx.QueryerContext, dest any, query string, args ...any) error {
	s, done, err := d.preparedIn(ctx, q, query)
	if errors.Is(err, errNotPrepared) {
		return sqlx.SelectContext(ctx, q, dest, query, args...)
	}
	if err != nil {
		return err
	}
	defer done()
	return s.SelectContext(ctx, dest, args...)
}

// getPrepared is sqlx.GetContext through query's prepared statement.
func (d *DB) getPrepared(ctx context.Context, q sqlx.QueryerContext, dest any, query string, args ...any) error {
	s, done, err := d.preparedIn(ctx, q, query)
	if errors.Is(err, errNotPrepared) {
		return sqlx.GetContext(ctx, q, dest, query, args...)
	}
	if err != nil {
		return err
	}
	defer done()
	return s.GetContext(ctx, dest, args...)
}
