// Package dbtest gives each test its own freshly migrated PostgreSQL
// database, found the way the app finds one: TEST_DATABASE_URL, else the
// local server, else a private cluster started from the installed binaries.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/lib/pq"

	"divvy/db"
	"divvy/db/pglocal"
)

var (
	once     sync.Once
	adminURL string
	findErr  error
)

// server finds the PostgreSQL server once per test binary.
func server() (string, error) {
	once.Do(func() {
		if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
			adminURL = u
			return
		}
		dir := filepath.Join(os.TempDir(), "divvy-test-pg")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			findErr = err
			return
		}
		// Test binaries of several packages run at once: one of them starts
		// the private cluster, the others wait and reuse it.
		lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			findErr = err
			return
		}
		defer lock.Close()
		syscall.Flock(int(lock.Fd()), syscall.LOCK_EX)
		defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
		s, err := pglocal.Find(context.Background(), dir, slog.New(slog.DiscardHandler))
		if err != nil {
			findErr = err
			return
		}
		adminURL = s.AdminURL
	})
	return adminURL, findErr
}

// URL returns the URL of a new, migrated database that is dropped when the
// test ends.
func URL(t testing.TB) string {
	t.Helper()
	admin, err := server()
	if err != nil {
		t.Fatalf("find PostgreSQL for tests: %v", err)
	}
	tmpl, err := template(admin)
	if err != nil {
		t.Fatalf("prepare template database: %v", err)
	}
	return create(t, admin, ` TEMPLATE `+pq.QuoteIdentifier(tmpl))
}

// EmptyURL returns the URL of a new database with no tables (for testing
// migrations themselves), dropped when the test ends.
func EmptyURL(t testing.TB) string {
	t.Helper()
	admin, err := server()
	if err != nil {
		t.Fatalf("find PostgreSQL for tests: %v", err)
	}
	return create(t, admin, "")
}

func create(t testing.TB, admin, suffix string) string {
	t.Helper()
	adm, err := sql.Open("postgres", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	var rnd [8]byte
	rand.Read(rnd[:])
	name := "divvy_test_" + hex.EncodeToString(rnd[:])
	if _, err := adm.Exec(`CREATE DATABASE ` + pq.QuoteIdentifier(name) + suffix); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		adm, err := sql.Open("postgres", admin)
		if err != nil {
			t.Errorf("drop test database: %v", err)
			return
		}
		defer adm.Close()
		if _, err := adm.Exec(`DROP DATABASE IF EXISTS ` + pq.QuoteIdentifier(name) + ` WITH (FORCE)`); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := pglocal.WithDatabase(admin, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// New returns a store over a new, migrated database that is dropped when the
// test ends.
func New(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), URL(t), nil)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	d.SetLinkKeys([]string{"test link key " + t.Name()})
	d.SetPINPepper("test pepper " + t.Name())
	return d
}

var (
	tmplOnce sync.Once
	tmplName string
	tmplErr  error
)

// template returns a database migrated to the current migrations, made once
// and shared by every test binary: copying it is much faster than migrating
// each test's database. Its name carries a hash of the migrations, so a new
// migration makes a new template.
func template(admin string) (string, error) {
	tmplOnce.Do(func() { tmplName, tmplErr = makeTemplate(admin) })
	return tmplName, tmplErr
}

// migrationsHash names the migrations: a template made from other
// migrations has another name.
func migrationsHash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(db.MigrationFiles(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(db.MigrationFiles(), path)
		fmt.Fprintf(h, "%s\x00%s\x00", path, b)
		return err
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func makeTemplate(admin string) (string, error) {
	hash, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "divvy_tmpl_" + hash

	adm, err := sql.Open("postgres", admin)
	if err != nil {
		return "", err
	}
	defer adm.Close()
	conn, err := adm.Conn(context.Background())
	if err != nil {
		return "", err
	}
	defer conn.Close()
	ctx := context.Background()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7341902111)`); err != nil {
		return "", err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(7341902111)`)
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	// Build under a scratch name and rename when complete, so a crash never
	// leaves a half-migrated template behind under the real name.
	building := name + "_building"
	conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(building)+` WITH (FORCE)`)
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(building)); err != nil {
		return "", err
	}
	u, err := pglocal.WithDatabase(admin, building)
	if err != nil {
		return "", err
	}
	d, err := db.Open(ctx, u, nil)
	if err != nil {
		return "", err
	}
	_, err = d.Migrate(ctx)
	d.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, `ALTER DATABASE `+pq.QuoteIdentifier(building)+` RENAME TO `+pq.QuoteIdentifier(name)); err != nil {
		return "", err
	}
	return name, nil
}
