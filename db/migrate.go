package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the advisory lock key that serialises migrators, so two
// processes starting at once do not race.
const migrationLock = 7_341_902_110

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %q: name must start with a number and '_'", base)
		}
		body, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("two migrations numbered %d", ms[i].version)
		}
	}
	return ms, nil
}

const createMigrationsTable = `
CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// Migrate applies pending migrations, each in its own transaction (one
// statement at a time, see statements), under an advisory lock. It returns
// the names of the migrations it applied.
func (d *DB) Migrate(ctx context.Context) ([]string, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	var applied []string
	// Sessions opened before a migration keep the settings it gave the
	// database (ALTER DATABASE ... SET, as migration 222 does on Citus):
	// once migrations applied, the pool's idle sessions are closed, so the
	// next ones start with them. Runs last, after conn is back in the pool.
	defer func() {
		if len(applied) > 0 {
			d.x.SetMaxIdleConns(0)
			d.x.SetMaxIdleConns(maxConns)
		}
	}()
	conn, err := d.x.Connx(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return nil, fmt.Errorf("take migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)

	if _, err := conn.ExecContext(ctx, createMigrationsTable); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	var done []int
	if err := conn.SelectContext(ctx, &done, `SELECT version FROM schema_migrations`); err != nil {
		return nil, err
	}
	have := map[int]bool{}
	for _, v := range done {
		have[v] = true
	}
	for _, m := range ms {
		if have[m.version] {
			continue
		}
		tx, err := conn.BeginTxx(ctx, nil)
		if err != nil {
			return applied, err
		}
		for i, stmt := range statements(m.sql) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				tx.Rollback()
				first, _, _ := strings.Cut(stmt, "\n")
				return applied, fmt.Errorf("migration %s: statement %d (%.60s): %w", m.name, i+1, first, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("record migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return applied, fmt.Errorf("commit migration %s: %w", m.name, err)
		}
		applied = append(applied, m.name)
	}
	return applied, nil
}

// PendingMigrations returns how many embedded migrations the database lacks.
func (d *DB) PendingMigrations(ctx context.Context) (int, error) {
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	var exists bool
	if err := d.x.GetContext(ctx, &exists, `SELECT to_regclass('schema_migrations') IS NOT NULL`); err != nil {
		return 0, err
	}
	if !exists {
		return len(ms), nil
	}
	var done []int
	if err := d.x.SelectContext(ctx, &done, `SELECT version FROM schema_migrations`); err != nil {
		return 0, err
	}
	have := map[int]bool{}
	for _, v := range done {
		have[v] = true
	}
	n := 0
	for _, m := range ms {
		if !have[m.version] {
			n++
		}
	}
	return n, nil
}

// MigrationFiles returns the embedded migrations (tests hash them).
func MigrationFiles() fs.FS { return migrationFiles }
