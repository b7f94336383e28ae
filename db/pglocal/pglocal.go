// Package pglocal finds a PostgreSQL server for local use, or starts a
// private one from the installed PostgreSQL binaries, so Divvy and its tests
// run on a fresh machine with no configuration.
package pglocal

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lib/pq"
)

// Server is a PostgreSQL server the caller may use.
type Server struct {
	// AdminURL connects to the server's maintenance database as a superuser.
	AdminURL string
	// Desc says which server this is, for the log.
	Desc string
	// DataDir is the private cluster's data directory ("" for a server
	// this package did not start), where its postmaster.pid is.
	DataDir string
	stop    func() error
}

// Started reports whether this process started the server (and Stop stops it).
func (s *Server) Started() bool { return s.stop != nil }

// Stop stops the server if this process started it.
func (s *Server) Stop() error {
	if s.stop == nil {
		return nil
	}
	return s.stop()
}

// DefaultURL is the local server a stock install listens on.
//
// connect_timeout bounds a new connection's start-up (TCP, then the
// server's answer), not the queries after it. A loaded machine can take
// seconds to fork and start a backend; 3 s cut connections of a busy CI
// run ("read tcp ...: i/o timeout" inside a transaction's first
// statement), so the bound is generous. Reachable probes with its own,
// shorter deadline.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=" + connectTimeout

// connectTimeout is the start-up bound of every URL this package gives
// out, in seconds (see DefaultURL).
const connectTimeout = "20"

// ErrNoPostgres says neither a running server nor the server binaries were found.
var ErrNoPostgres = errors.New("no PostgreSQL found: install it (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql) or set DATABASE_URL")

// Find returns the local server on 127.0.0.1:5432 when it accepts
// connections; otherwise it starts (or reuses) a private cluster in dataDir
// from the installed binaries. A cluster this call started is stopped by
// Server.Stop.
func Find(ctx context.Context, dataDir string, log *slog.Logger) (*Server, error) {
	return FindFrom(ctx, DefaultURL, dataDir, log)
}

// FindFrom is Find with another local server to try first (localURL, a
// superuser URL); an empty localURL goes straight to the private cluster.
func FindFrom(ctx context.Context, localURL, dataDir string, log *slog.Logger) (*Server, error) {
	if localURL != "" && Reachable(ctx, localURL) == nil {
		return &Server{AdminURL: localURL, Desc: "local PostgreSQL at " + redact(localURL)}, nil
	}
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	return startPrivate(ctx, bin, dataDir, log)
}

// Reachable reports whether url accepts a connection.
func Reachable(ctx context.Context, url string) error {
	db, err := sql.Open("postgres", url)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// EnsureDatabase creates database name on the server if it does not exist,
// and returns a URL for it.
func EnsureDatabase(ctx context.Context, adminURL, name string) (string, error) {
	db, err := sql.Open("postgres", adminURL)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		_, err := db.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name))
		var pqe *pq.Error
		if err != nil && !(errors.As(err, &pqe) && pqe.Code == "42P04") { // created meanwhile
			return "", fmt.Errorf("create database %s: %w", name, err)
		}
	}
	return WithDatabase(adminURL, name)
}

// WithDatabase returns url pointing at database name instead.
func WithDatabase(rawURL, name string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// binDir finds initdb and pg_ctl: on PATH, else the newest
// /usr/lib/postgresql/*/bin (Debian keeps them off PATH).
func binDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	dirs2, _ := filepath.Glob("/usr/local/opt/postgresql*/bin")
	dirs = append(dirs, dirs2...)
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	return "", ErrNoPostgres
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// startPrivate initialises dataDir/pg if needed and starts it on a free
// loopback port with its socket inside dataDir. As root it runs the server as
// an unprivileged user, since PostgreSQL refuses to run as root.
func startPrivate(ctx context.Context, bin, dataDir string, log *slog.Logger) (*Server, error) {
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	if cred != nil && !traversable(dataDir) {
		// The unprivileged server could not reach a data directory under,
		// say, /root: keep the cluster in a temporary directory named after
		// it, and say so, since whoever looks in dataDir will not find it.
		h := sha256.Sum256([]byte(dataDir))
		moved := filepath.Join(os.TempDir(), "divvy-pg-"+hex.EncodeToString(h[:6]))
		log.Warn("the private PostgreSQL cluster is kept in a temporary directory: running as root, the server runs as an unprivileged user who cannot reach the data directory",
			"data_dir", dataDir, "cluster_dir", moved, "server_user", credName(cred))
		dataDir = moved
	}
	pgdata := filepath.Join(dataDir, "pg")
	if err := os.MkdirAll(pgdata, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", pgdata, err)
	}
	if cred != nil {
		for _, d := range []string{dataDir, pgdata} {
			if err := os.Chown(d, int(cred.Uid), int(cred.Gid)); err != nil {
				return nil, err
			}
		}
	}
	run := func(ctx context.Context, name string, args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, filepath.Join(bin, name), args...)
		cmd.Dir = dataDir
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		return cmd.CombinedOutput()
	}

	// A server already running on this data directory (another process of
	// ours) is reused, not started twice.
	if port, ok := runningPort(pgdata); ok {
		if u := privateURL(port); Reachable(ctx, u) == nil {
			return &Server{AdminURL: u, Desc: "private PostgreSQL in " + pgdata + " (already running)", DataDir: pgdata}, nil
		}
	}
	if _, err := os.Stat(filepath.Join(pgdata, "PG_VERSION")); err != nil {
		log.Info("initialising a private PostgreSQL cluster", "dir", pgdata)
		if out, err := run(ctx, "initdb", "-D", pgdata, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
			return nil, fmt.Errorf("initdb: %v: %s", err, out)
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, dataDir)
	if out, err := run(ctx, "pg_ctl", "start", "-w", "-t", "60", "-D", pgdata, "-l", filepath.Join(dataDir, "pg.log"), "-o", opts); err != nil {
		return nil, fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	u := privateURL(port)
	// Stopping happens when the caller is done, typically because ctx was
	// cancelled by a signal: it must not run under ctx, or pg_ctl is killed
	// before it starts and the server outlives the app.
	stop := func() error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		pid, _ := postmasterPID(pgdata)
		out, err := run(sctx, "pg_ctl", "stop", "-m", "fast", "-w", "-D", pgdata)
		if err != nil {
			return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
		}
		// pg_ctl returns once postmaster.pid is gone, which the postmaster
		// removes on its way out, a moment before it exits: wait for the
		// process itself, so "stopped" means no postmaster runs.
		if pid > 0 {
			for processRuns(pid) {
				select {
				case <-sctx.Done():
					return fmt.Errorf("postmaster %d still running after pg_ctl stop", pid)
				case <-time.After(10 * time.Millisecond):
				}
			}
		}
		return nil
	}
	return &Server{AdminURL: u, Desc: fmt.Sprintf("private PostgreSQL in %s on 127.0.0.1:%d", pgdata, port), DataDir: pgdata, stop: stop}, nil
}

func privateURL(port int) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=%s", port, connectTimeout)
}

// postmasterPID reads the postmaster's process id from postmaster.pid.
func postmasterPID(pgdata string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(pgdata, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	return pid, err == nil && pid > 0
}

// processRuns reports whether process pid runs. A zombie (exited, not yet
// reaped by a parent or an init that does not reap) counts as gone.
func processRuns(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		// No /proc (not Linux): kill(pid, 0) above said it exists.
		return !os.IsNotExist(err) || !procMounted()
	}
	// pid (comm) state ...: comm may hold spaces; the state follows the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func procMounted() bool {
	_, err := os.Stat("/proc/self/stat")
	return err == nil
}

// runningPort reads the port of a running postmaster from postmaster.pid.
func runningPort(pgdata string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(pgdata, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, false
	}
	pid, err1 := strconv.Atoi(strings.TrimSpace(lines[0]))
	port, err2 := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err1 != nil || err2 != nil || syscall.Kill(pid, 0) != nil {
		return 0, false
	}
	return port, true
}

// serverCredential picks the user the server runs as: nil (the current user)
// unless we are root, then "postgres" or "nobody".
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as")
}

func credName(c *syscall.Credential) string {
	if u, err := user.LookupId(strconv.Itoa(int(c.Uid))); err == nil {
		return u.Username
	}
	return strconv.Itoa(int(c.Uid))
}

// redact hides a URL's password, for the log.
func redact(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}

// traversable reports whether every existing ancestor of dir lets others
// through (o+x), which an unprivileged server needs to reach its data.
func traversable(dir string) bool {
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
