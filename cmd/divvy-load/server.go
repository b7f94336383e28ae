package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lib/pq"

	"divvy/db/pglocal"
)

// infra is what a run sets up and tears down: a temporary directory, the
// server binary, the PostgreSQL server and the databases made on it.
type infra struct {
	tmp      string
	bin      string
	adminURL string
	pg       *pglocal.Server
	runID    string
	dbs      []string
	citus    bool     // adminURL is a Citus coordinator, workers on the next two ports
	secrets  []string // SESSION_KEYS, PIN_PEPPER, SANDBOX_KEY shared by every server of the run
	stderr   io.Writer
}

func newInfra(stderr io.Writer) (*infra, error) {
	tmp, err := os.MkdirTemp("", "divvy-load-")
	if err != nil {
		return nil, err
	}
	in := &infra{tmp: tmp, runID: randomHex(4), stderr: stderr}
	for range 3 {
		in.secrets = append(in.secrets, randomHex(24))
	}
	return in, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// moduleRoot finds the divvy module the harness was built from, so the
// server is built from the same tree wherever the command is run.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run divvy-load from inside the divvy module (go run ./cmd/divvy-load)")
	}
	return filepath.Dir(mod), nil
}

// build compiles the server once for every server process of the run.
func (in *infra) build(ctx context.Context) error {
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	in.bin = filepath.Join(in.tmp, "divvy")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", in.bin, "./cmd/divvy")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build the server: %v\n%s", err, out)
	}
	return nil
}

// findPostgres finds PostgreSQL the way the app does: the local server on
// 127.0.0.1:5432, else a private cluster from the installed binaries.
// An admin URL given (-pg) is used as it is.
func (in *infra) findPostgres(ctx context.Context, url string) error {
	if url != "" {
		if err := pglocal.Reachable(ctx, url); err != nil {
			return fmt.Errorf("-pg: %w", err)
		}
		in.adminURL = url
		return nil
	}
	s, err := pglocal.Find(ctx, filepath.Join(os.TempDir(), "divvy-load-pg"), slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	in.pg, in.adminURL = s, s.AdminURL
	return nil
}

// createDB makes an empty database on the server; the server it is given
// to migrates it at start. Every database made is dropped by close.
func (in *infra) createDB(ctx context.Context, suffix string) (string, error) {
	name := "divvy_load_" + in.runID + suffix
	adm, err := sql.Open("postgres", in.adminURL)
	if err != nil {
		return "", err
	}
	defer adm.Close()
	if _, err := adm.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name)); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	in.dbs = append(in.dbs, name)
	u, err := pglocal.WithDatabase(in.adminURL, name)
	if err != nil || !in.citus {
		return u, err
	}
	return u, in.citusDB(ctx, name)
}

// citusNodes are the admin URLs of the coordinator (adminURL) and of its
// two workers, on the next two ports.
func (in *infra) citusNodes() ([]string, error) {
	u, err := url.Parse(in.adminURL)
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return nil, fmt.Errorf("-citus: the -pg URL needs a port: %w", err)
	}
	var out []string
	for i := range 3 {
		n := *u
		n.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(port+i))
		out = append(out, n.String())
	}
	return out, nil
}

// citusDB makes database name (already on the coordinator) on the workers,
// creates the citus extension on the three nodes and registers the workers:
// CREATE DATABASE does not reach the workers.
func (in *infra) citusDB(ctx context.Context, name string) error {
	nodes, err := in.citusNodes()
	if err != nil {
		return err
	}
	exec := func(admin, db string, qs ...string) error {
		u, err := pglocal.WithDatabase(admin, db)
		if err != nil {
			return err
		}
		c, err := sql.Open("postgres", u)
		if err != nil {
			return err
		}
		defer c.Close()
		for _, q := range qs {
			if _, err := c.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("citus %s: %s: %w", db, q, err)
			}
		}
		return nil
	}
	for i, n := range nodes {
		if i > 0 {
			if err := exec(n, "postgres", `CREATE DATABASE `+pq.QuoteIdentifier(name)); err != nil {
				return err
			}
		}
		if err := exec(n, name, `CREATE EXTENSION citus`); err != nil {
			return err
		}
	}
	c, _ := url.Parse(nodes[0])
	w1, _ := url.Parse(nodes[1])
	w2, _ := url.Parse(nodes[2])
	return exec(nodes[0], name,
		fmt.Sprintf(`SELECT citus_set_coordinator_host(%s, %s)`, pq.QuoteLiteral(c.Hostname()), c.Port()),
		fmt.Sprintf(`SELECT citus_add_node(%s, %s)`, pq.QuoteLiteral(w1.Hostname()), w1.Port()),
		fmt.Sprintf(`SELECT citus_add_node(%s, %s)`, pq.QuoteLiteral(w2.Hostname()), w2.Port()))
}

// dropDatabase drops a database, closing its connections.
func dropDatabase(ctx context.Context, adminURL, name string) error {
	adm, err := sql.Open("postgres", adminURL)
	if err != nil {
		return err
	}
	defer adm.Close()
	_, err = adm.ExecContext(ctx, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(name)+` WITH (FORCE)`)
	return err
}

// close drops the databases (unless keepDBs), stops a private PostgreSQL
// this run started, and removes the temporary directory (unless keepLogs:
// it holds the server logs).
func (in *infra) close(keepDBs, keepLogs bool) {
	if keepDBs && len(in.dbs) > 0 {
		fmt.Fprintf(in.stderr, "divvy-load: databases kept: %s on %s\n", strings.Join(in.dbs, ", "), in.adminURL)
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		admins := []string{in.adminURL}
		if in.citus {
			if nodes, err := in.citusNodes(); err == nil {
				admins = nodes
			}
		}
		for _, name := range in.dbs {
			for _, admin := range admins {
				if err := dropDatabase(ctx, admin, name); err != nil {
					fmt.Fprintf(in.stderr, "divvy-load: drop database %s: %v\n", name, err)
				}
			}
		}
		cancel()
	}
	if in.pg != nil && !keepDBs {
		in.pg.Stop()
	}
	if keepLogs {
		fmt.Fprintf(in.stderr, "divvy-load: server logs kept in %s\n", in.tmp)
		return
	}
	os.RemoveAll(in.tmp)
}

// raiseFileLimit lifts the soft limit on open files to the hard one: ten
// thousand event streams are ten thousand sockets on each side. Servers
// started afterwards inherit it.
func raiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	return l.Cur, nil
}

// server is one Divvy process started by the run.
type server struct {
	name string
	base string // http://127.0.0.1:port, also its BASE_URL
	cmd  *exec.Cmd
	log  string
	done chan error
}

// serverEnv is the environment of a server: the harness's own, without
// any Divvy setting it may carry, plus the run's.
func (in *infra) serverEnv(vars map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ours := vars[k]; ours {
			continue
		}
		switch k {
		case "DIVVY_ENV", "SMTP_URL", "DEFAULT_LOCALE", "LIVE_UPDATES", "LOAD_SKIP_PIN", "BALANCE_SUMMARY":
			continue
		}
		env = append(env, kv)
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// startServer starts a server on a free port over dbURL and waits until
// it is ready. extra adds or overrides environment variables.
func (in *infra) startServer(ctx context.Context, name, dbURL string, extra map[string]string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	vars := map[string]string{
		"DIVVY_ENV":        "development",
		"DATABASE_URL":     dbURL,
		"PORT":             strconv.Itoa(port),
		"BASE_URL":         base,
		"DIVVY_DATA_DIR":   filepath.Join(in.tmp, "data"),
		"SESSION_KEYS":     in.secrets[0],
		"PIN_PEPPER":       in.secrets[1],
		"SANDBOX_KEY":      in.secrets[2],
		"SETTLEMENT_DELAY": "1h",
		// A load run pays far more than a person may in 30 days.
		"CAP_PER_TRANSFER": "10000",
		"CAP_30_DAYS":      "1000000000",
		"DEFAULT_LOCALE":   "en",
	}
	for k, v := range extra {
		vars[k] = v
	}
	logPath := filepath.Join(in.tmp, "server-"+name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(in.bin, "serve")
	cmd.Env = in.serverEnv(vars)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The server must not outlive the harness, even when it is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	s := &server{name: name, base: base, cmd: cmd, log: logPath, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait(); logFile.Close() }()

	deadline := time.Now().Add(60 * time.Second)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		res, err := c.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			return nil, fmt.Errorf("server %s exited before it was ready: %v\n%s", name, err, tail(logPath, 20))
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("server %s not ready after 60 s\n%s", name, tail(logPath, 20))
		}
	}
}

// stop asks the server to shut down gracefully, and kills it if it takes
// longer than its own shutdown deadline.
func (s *server) stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(25 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// rss returns the server's resident memory (VmRSS) and its peak so far
// (VmHWM), in MiB, from /proc.
func (s *server) rss() (cur, peak float64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		if err != nil {
			return 0, 0, fmt.Errorf("parse %s: %w", k, err)
		}
		if k == "VmRSS" {
			cur = kb / 1024
		} else {
			peak = kb / 1024
		}
	}
	return cur, peak, sc.Err()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
