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
		Path: "/" + database, RawQuery: "sslmode=disable&connect_timeout=5"}
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
func CitusURL(t testing.TB) string {
	t.Helper()
	u := CitusEmptyURL(t)
	d, err := db.Open(context.Background(), u, nil)
	if err != nil {
		t.Fatalf("open Citus test database: %v", err)
	}
	defer d.Close()
	start := time.Now()
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate on Citus: %v", err)
	}
	t.Logf("Citus database migrated in %v", time.Since(start).Round(time.Millisecond))
	return u
}

// CitusEmptyURL is CitusURL not migrated: the database exists on every
// node, with the citus extension, the workers registered (an app started
// on it migrates it, as in production).
func CitusEmptyURL(t testing.TB) string {
	t.Helper()
	if err := citusUp(); err != nil {
		if os.Getenv("CI") == "true" && os.Getenv("CITUS_PORT") != "" {
			t.Fatalf("Citus cluster not reachable on port %d (CI starts it with ../shared/citus/cluster.sh): %v", citusPort(), err)
		}
		t.Skipf("no Citus cluster on port %d (start one with ../shared/citus/cluster.sh start): %v", citusPort(), err)
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	name := "divvy_citus_" + hex.EncodeToString(rnd[:])
	p0 := citusPort()
	ports := []int{p0, p0 + 1, p0 + 2}
	exec := func(port int, database string, queries ...string) error {
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
	t.Cleanup(func() {
		if os.Getenv("DIVVY_KEEP_CITUS_DB") != "" {
			t.Logf("Citus test database %s kept (DIVVY_KEEP_CITUS_DB)", name)
			return
		}
		for _, p := range ports {
			if err := exec(p, "postgres", `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(name)+` WITH (FORCE)`); err != nil {
				t.Errorf("drop Citus test database: %v", err)
			}
		}
	})
	// CREATE DATABASE does not reach the workers: make it on every node,
	// with the extension, then register the workers with the coordinator.
	for _, p := range ports {
		if err := exec(p, "postgres", `CREATE DATABASE `+pq.QuoteIdentifier(name)); err != nil {
			t.Fatalf("create Citus test database: %v", err)
		}
		if err := exec(p, name, `CREATE EXTENSION citus`); err != nil {
			t.Fatalf("create Citus test database: %v", err)
		}
	}
	err := exec(p0, name,
		// Four shards a table rather than 32: the tests make a database
		// each, and the behaviour is the same.
		`ALTER DATABASE `+pq.QuoteIdentifier(name)+` SET citus.shard_count = 4`,
		fmt.Sprintf(`SELECT citus_set_coordinator_host('127.0.0.1', %d)`, p0),
		fmt.Sprintf(`SELECT citus_add_node('127.0.0.1', %d)`, p0+1),
		fmt.Sprintf(`SELECT citus_add_node('127.0.0.1', %d)`, p0+2))
	if err != nil {
		t.Fatalf("set up Citus test database: %v", err)
	}
	return nodeURL(p0, name)
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
