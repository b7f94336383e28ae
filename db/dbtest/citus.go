package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lib/pq"

	"divvy/db"
)

// The Citus cluster the scale-out tests run on: a coordinator on
// 127.0.0.1:CITUS_PORT (default 5450) and two workers on the next two
// ports, as ../shared/citus/cluster.sh starts them (.ci/run starts one and
// exports CITUS_PORT). The tests skip when no cluster answers, except in CI
// with a cluster started (CI=true and CITUS_PORT set): then they fail.

func citusPort() int {
	if p, err := strconv.Atoi(os.Getenv("CITUS_PORT")); err == nil && p > 0 {
		return p
	}
	return 5450
}

func nodeURL(port int, database string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: "127.0.0.1:" + strconv.Itoa(port),
		Path: "/" + database, RawQuery: "sslmode=disable&connect_timeout=20"}
	return u.String()
}

// citusUp tells whether the cluster's coordinator answers with Citus
// available, and why not when it does not.
func citusUp() error {
	c, err := sql.Open("postgres", nodeURL(citusPort(), "postgres"))
	if err != nil {
		return err
	}
	defer c.Close()
	var n int
	if err := c.QueryRow(`SELECT count(*) FROM pg_available_extensions WHERE name = 'citus'`).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("the server on port %d has no citus extension", citusPort())
	}
	return nil
}

// CitusURL returns the URL (on the coordinator) of a new, migrated database
// on the Citus cluster, dropped from every node when the test ends. It skips
// the test when no cluster answers, unless CI=true: then it fails.
//
// Like URL, it copies a template rather than migrating: the migrations run
// once per cluster (and per set of migrations) into a template database on
// every node, and each test's database is a copy of it on every node (a
// node's copy of a migrated Citus database is that node's part of the same
// cluster: its shards and Citus's metadata are rows and tables in it). The
// app's own migration on an empty cluster database is what
// TestBrowserPizzaNightOnCitus runs (CitusEmptyURL).
func CitusURL(t testing.TB) string {
	t.Helper()
	citusAvailable(t)
	tmpl, err := citusTemplate()
	if err != nil {
		t.Fatalf("prepare Citus template database: %v", err)
	}
	if d := citusTmplBuilt.Swap(0); d > 0 {
		t.Logf("Citus template database migrated in %v", time.Duration(d).Round(time.Millisecond))
	}
	name := citusName(t)
	start := time.Now()
	for _, p := range citusPorts() {
		if err := nodeExec(p, "postgres", `CREATE DATABASE `+pq.QuoteIdentifier(name)+` TEMPLATE `+pq.QuoteIdentifier(tmpl)); err != nil {
			t.Fatalf("create Citus test database: %v", err)
		}
		// Settings made by ALTER DATABASE (the migration's multi-shard
		// mode, the shard count) belong to the database, not its contents:
		// the copy gets them from the template.
		if err := copySettings(p, tmpl, name); err != nil {
			t.Fatalf("create Citus test database: %v", err)
		}
	}
	t.Logf("Citus database copied from the migrated template in %v", time.Since(start).Round(time.Millisecond))
	return nodeURL(citusPorts()[0], name)
}

// CitusEmptyURL is CitusURL not migrated: the database exists on every
// node, with the citus extension, the workers registered (an app started
// on it migrates it, as in production).
func CitusEmptyURL(t testing.TB) string {
	t.Helper()
	citusAvailable(t)
	name := citusName(t)
	if err := citusCreateEmpty(name); err != nil {
		t.Fatalf("create Citus test database: %v", err)
	}
	return nodeURL(citusPorts()[0], name)
}

// citusAvailable skips the test when no cluster answers, or fails it in CI
// with a cluster started.
func citusAvailable(t testing.TB) {
	t.Helper()
	if err := citusUp(); err != nil {
		if os.Getenv("CI") == "true" && os.Getenv("CITUS_PORT") != "" {
			t.Fatalf("Citus cluster not reachable on port %d (CI starts it with ../shared/citus/cluster.sh): %v", citusPort(), err)
		}
		t.Skipf("no Citus cluster on port %d (start one with ../shared/citus/cluster.sh start): %v", citusPort(), err)
	}
}

func citusPorts() []int {
	p0 := citusPort()
	return []int{p0, p0 + 1, p0 + 2}
}

// citusName is a new database name, dropped from every node when the test
// ends.
func citusName(t testing.TB) string {
	var rnd [8]byte
	rand.Read(rnd[:])
	name := "divvy_citus_" + hex.EncodeToString(rnd[:])
	t.Cleanup(func() {
		if os.Getenv("DIVVY_KEEP_CITUS_DB") != "" {
			t.Logf("Citus test database %s kept (DIVVY_KEEP_CITUS_DB)", name)
			return
		}
		if err := citusDrop(name); err != nil {
			t.Errorf("drop Citus test database: %v", err)
		}
	})
	return name
}

func nodeExec(port int, database string, queries ...string) error {
	c, err := sql.Open("postgres", nodeURL(port, database))
	if err != nil {
		return err
	}
	defer c.Close()
	for _, q := range queries {
		if _, err := c.Exec(q); err != nil {
			return fmt.Errorf("node %d: %s: %w", port, q, err)
		}
	}
	return nil
}

func citusDrop(name string) error {
	for _, p := range citusPorts() {
		if err := nodeExec(p, "postgres", `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(name)+` WITH (FORCE)`); err != nil {
			return err
		}
	}
	return nil
}

// citusCreateEmpty makes database name on every node with the citus
// extension and registers the workers with the coordinator.
func citusCreateEmpty(name string) error {
	// CREATE DATABASE does not reach the workers: make it on every node,
	// with the extension, then register the workers with the coordinator.
	ports := citusPorts()
	for _, p := range ports {
		if err := nodeExec(p, "postgres", `CREATE DATABASE `+pq.QuoteIdentifier(name)); err != nil {
			return err
		}
		if err := nodeExec(p, name, `CREATE EXTENSION citus`); err != nil {
			return err
		}
	}
	return nodeExec(ports[0], name,
		// Four shards a table rather than 32: the tests make a database
		// each, and the behaviour is the same.
		`ALTER DATABASE `+pq.QuoteIdentifier(name)+` SET citus.shard_count = 4`,
		fmt.Sprintf(`SELECT citus_set_coordinator_host('127.0.0.1', %d)`, ports[0]),
		fmt.Sprintf(`SELECT citus_add_node('127.0.0.1', %d)`, ports[1]),
		fmt.Sprintf(`SELECT citus_add_node('127.0.0.1', %d)`, ports[2]))
}

// copySettings gives database to, on the node at port, the settings made
// with ALTER DATABASE ... SET on database from.
func copySettings(port int, from, to string) error {
	c, err := sql.Open("postgres", nodeURL(port, "postgres"))
	if err != nil {
		return err
	}
	defer c.Close()
	var settings []string
	err = c.QueryRow(`SELECT coalesce(s.setconfig, '{}') FROM pg_database d
		LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0 WHERE d.datname = $1`, from).
		Scan(pq.Array(&settings))
	if err != nil {
		return fmt.Errorf("node %d: settings of %s: %w", port, from, err)
	}
	for _, kv := range settings {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("node %d: setting %q of %s", port, kv, from)
		}
		q := `ALTER DATABASE ` + pq.QuoteIdentifier(to) + ` SET ` + pq.QuoteIdentifier(k) + ` TO ` + pq.QuoteLiteral(v)
		if _, err := c.Exec(q); err != nil {
			return fmt.Errorf("node %d: %s: %w", port, q, err)
		}
	}
	return nil
}

var (
	citusTmplOnce sync.Once
	citusTmplName string
	citusTmplErr  error
	// How long this binary took to make the template, until logged.
	citusTmplBuilt atomic.Int64
)

// citusTemplate returns the name of a database migrated to the current
// migrations on every node of the cluster, made once and shared by every
// test binary (as template is on plain PostgreSQL).
func citusTemplate() (string, error) {
	citusTmplOnce.Do(func() { citusTmplName, citusTmplErr = makeCitusTemplate() })
	return citusTmplName, citusTmplErr
}

func makeCitusTemplate() (string, error) {
	hash, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "divvy_citus_tmpl_" + hash
	ports := citusPorts()
	ctx := context.Background()
	adm, err := sql.Open("postgres", nodeURL(ports[0], "postgres"))
	if err != nil {
		return "", err
	}
	defer adm.Close()
	conn, err := adm.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	// The test binaries of several packages share the cluster: one makes
	// the template, the others wait for it.
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7341902112)`); err != nil {
		return "", err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(7341902112)`)
	complete := true
	for _, p := range ports {
		var exists bool
		if err := queryNode(p, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, &exists, name); err != nil {
			return "", err
		}
		complete = complete && exists
	}
	if complete {
		return name, nil
	}
	// Built under a scratch name and renamed on every node when complete;
	// a template missing on a node (a run killed while renaming) is
	// remade.
	building := name + "_building"
	if err := citusDrop(name); err != nil {
		return "", err
	}
	if err := citusDrop(building); err != nil {
		return "", err
	}
	if err := citusCreateEmpty(building); err != nil {
		return "", err
	}
	start := time.Now()
	d, err := db.Open(ctx, nodeURL(ports[0], building), nil)
	if err != nil {
		return "", err
	}
	_, err = d.Migrate(ctx)
	d.Close()
	if err != nil {
		return "", fmt.Errorf("migrate on Citus: %w", err)
	}
	citusTmplBuilt.Store(int64(time.Since(start)))
	// A database is copied only while nobody is connected to it, and Citus
	// keeps connections open to it (its maintenance daemon, the
	// coordinator's connections to the nodes): refuse new ones, end those.
	for _, p := range ports {
		if err := nodeExec(p, "postgres",
			`ALTER DATABASE `+pq.QuoteIdentifier(building)+` WITH ALLOW_CONNECTIONS false`); err != nil {
			return "", err
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			var left int
			if err := queryNode(p, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, &left, building); err != nil {
				return "", err
			}
			if left == 0 {
				break
			}
			if time.Now().After(deadline) {
				return "", fmt.Errorf("node %d: %d sessions still connected to %s", p, left, building)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err := nodeExec(p, "postgres", `ALTER DATABASE `+pq.QuoteIdentifier(building)+` RENAME TO `+pq.QuoteIdentifier(name)); err != nil {
			return "", err
		}
	}
	return name, nil
}

// queryNode scans one value of query (run in the node's postgres database).
func queryNode(port int, query string, dest any, args ...any) error {
	c, err := sql.Open("postgres", nodeURL(port, "postgres"))
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.QueryRow(query, args...).Scan(dest); err != nil {
		return fmt.Errorf("node %d: %w", port, err)
	}
	return nil
}

// NewCitus is New on the Citus cluster (see CitusURL).
func NewCitus(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), CitusURL(t), nil)
	if err != nil {
		t.Fatalf("open Citus test database: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	d.SetLinkKeys([]string{"test link key " + t.Name()})
	d.SetPINPepper("test pepper " + t.Name())
	return d
}
