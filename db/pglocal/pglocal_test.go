package pglocal

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// The private-cluster path: with no server to use, Divvy creates a cluster
// from the installed binaries, starts it, reuses it while it runs, and
// stops it.
func TestStartPrivateCluster(t *testing.T) {
	bin, err := binDir()
	if err != nil {
		t.Fatalf("PostgreSQL server binaries not found: %v (install postgresql)", err)
	}
	ctx := context.Background()
	parent, err := os.MkdirTemp("", "divvy-pglocal-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(parent)
	os.Chmod(parent, 0o755) // the unprivileged server must reach it
	dir := filepath.Join(parent, "data")
	log := slog.New(slog.DiscardHandler)

	s, err := startPrivate(ctx, bin, dir, log)
	if err != nil {
		t.Fatalf("start private cluster: %v", err)
	}
	defer s.Stop()
	u, err := EnsureDatabase(ctx, s.AdminURL, "divvy")
	if err != nil {
		t.Fatalf("ensure database: %v", err)
	}
	if _, err := EnsureDatabase(ctx, s.AdminURL, "divvy"); err != nil {
		t.Fatalf("ensure database a second time: %v", err)
	}
	d, err := sql.Open("postgres", u)
	if err != nil {
		t.Fatal(err)
	}
	var name string
	if err := d.QueryRow(`SELECT current_database()`).Scan(&name); err != nil || name != "divvy" {
		t.Fatalf("current_database() = %q, %v; want divvy", name, err)
	}
	d.Close()

	again, err := startPrivate(ctx, bin, dir, log)
	if err != nil {
		t.Fatalf("second start: %v", err)
	}
	if again.AdminURL != s.AdminURL || again.stop != nil {
		t.Errorf("second start = %q (stop set: %v); want reuse of %q without owning it", again.AdminURL, again.stop != nil, s.AdminURL)
	}
	pid, ok := postmasterPID(s.DataDir)
	if !ok || !processRuns(pid) {
		t.Fatalf("postmaster.pid of %s: pid %d, ok %v, running %v", s.DataDir, pid, ok, ok && processRuns(pid))
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if processRuns(pid) {
		t.Fatalf("postmaster %d still runs after Stop returned", pid)
	}
	if Reachable(ctx, s.AdminURL) == nil {
		t.Fatalf("server still answers after Stop")
	}
}

func TestLocalPathsAndURLs(t *testing.T) {
	got, err := WithDatabase("postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "divvy")
	if err != nil || got != "postgres://postgres@127.0.0.1:5432/divvy?sslmode=disable" {
		t.Errorf("WithDatabase = %q, %v", got, err)
	}
	if traversable("/root/x/.divvy") && os.Geteuid() == 0 {
		if fi, _ := os.Stat("/root"); fi != nil && fi.Mode().Perm()&1 == 0 {
			t.Errorf("traversable(/root/x) = true, but /root is not o+x")
		}
	}
}
