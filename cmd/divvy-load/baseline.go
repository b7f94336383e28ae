package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// findPgbench looks for pgbench on PATH, then where Debian keeps the
// server binaries.
func findPgbench() string {
	if p, err := exec.LookPath("pgbench"); err == nil {
		return p
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench")
	if len(dirs) > 0 {
		return dirs[len(dirs)-1]
	}
	return ""
}

var reTPS = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// pgbench runs PostgreSQL's built-in TPC-B script on a scratch database
// with as many clients as the scenarios use: what the database alone does
// on this machine, the yardstick of the payment rates.
func (h *harness) pgbench(ctx context.Context) error {
	c := h.cfg.c
	bin := findPgbench()
	if bin == "" {
		h.sum.set("pgbench_tps", "n/a")
		h.report(row{Scenario: "pgbench-tpcb", Server: "postgres", Conc: c, Rate: nanf(), Unit: "tps", P50: nanf(), P99: nanf(),
			Note: "pgbench is not installed (Debian: apt-get install postgresql-contrib or postgresql-client): no database baseline"})
		return nil
	}
	dbURL, err := h.in.createDB(ctx, "_pgbench")
	if err != nil {
		return err
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return err
	}
	conn := []string{"-h", u.Hostname(), "-p", u.Port(), "-U", u.User.Username()}
	if u.Port() == "" {
		conn[3] = "5432"
	}
	env := os.Environ()
	if pw, ok := u.User.Password(); ok {
		env = append(env, "PGPASSWORD="+pw)
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	scale := c
	if h.cfg.quick {
		scale = 4
	}
	h.prog.phase(fmt.Sprintf("pgbench: init scale %d", scale), 0)
	cmd := exec.CommandContext(ctx, bin, append(append([]string{"-i", "-q", "-s", strconv.Itoa(scale)}, conn...), dbName)...)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgbench -i: %v\n%s", err, out)
	}
	secs := int(math.Ceil(h.cfg.duration.Seconds()))
	logDir := filepath.Join(h.in.tmp, "pgbench")
	os.MkdirAll(logDir, 0o755)
	threads := min(c, runtime.NumCPU())
	h.prog.phase("pgbench: TPC-B", time.Duration(secs)*time.Second)
	cmd = exec.CommandContext(ctx, bin, append(append([]string{"-c", strconv.Itoa(c), "-j", strconv.Itoa(threads),
		"-T", strconv.Itoa(secs), "-l", "--log-prefix=" + filepath.Join(logDir, "log")}, conn...), dbName)...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgbench: %v\n%s", err, out)
	}
	m := reTPS.FindSubmatch(out)
	if m == nil {
		return fmt.Errorf("pgbench printed no tps:\n%s", out)
	}
	tps, _ := strconv.ParseFloat(string(m[1]), 64)
	lat, err := pgbenchLatencies(logDir)
	if err != nil {
		return err
	}
	l := summarize(lat)
	h.dropDB(ctx, dbName)
	h.pgbenchTPS = tps
	h.sum.set("pgbench_tps", tps)
	h.sum.set("pgbench_p99_ms", ms(l.P99))
	h.report(row{Scenario: "pgbench-tpcb", Server: "postgres", Conc: c, Ops: len(lat), Rate: tps, Unit: "tps",
		P50: ms(l.P50), P99: ms(l.P99), Note: fmt.Sprintf("built-in TPC-B, scale %d, %d threads, %d s", scale, threads, secs)})
	return nil
}

// pgbenchLatencies reads the per-transaction logs of pgbench -l: the
// third field is the latency in microseconds.
func pgbenchLatencies(dir string) ([]time.Duration, error) {
	files, err := filepath.Glob(filepath.Join(dir, "log.*"))
	if err != nil {
		return nil, err
	}
	var out []time.Duration
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 3 {
				continue
			}
			if us, err := strconv.ParseInt(fields[2], 10, 64); err == nil {
				out = append(out, time.Duration(us)*time.Microsecond)
			}
		}
		fh.Close()
	}
	return out, nil
}

// dropDB drops a scratch database as soon as it has served.
func (h *harness) dropDB(ctx context.Context, name string) {
	for i, n := range h.in.dbs {
		if n == name {
			h.in.dbs = append(h.in.dbs[:i], h.in.dbs[i+1:]...)
			break
		}
	}
	if h.cfg.keep {
		h.in.dbs = append(h.in.dbs, name)
		return
	}
	dropDatabase(ctx, h.in.adminURL, name)
}

// httpLimit is the plain HTTP limit of the server stack: GET /healthz goes
// through every middleware (request log, recovery, security headers, body
// limit, cross-origin check, locale, session) to a handler that does no work.
func (h *harness) httpLimit(ctx context.Context) error {
	s, err := h.use(ctx, withPIN)
	if err != nil {
		return err
	}
	c := h.cfg.c
	m := h.drive(ctx, "http-healthz", c, h.cfg.duration, func(ctx context.Context, w int) (time.Duration, error) {
		t := time.Now()
		_, err := s.get(ctx, nil, "/healthz", 200)
		return time.Since(t), err
	})
	r := loadRow("http-healthz", withPIN, "req/s", c, m, "GET /healthz through the whole middleware stack")
	h.report(r)
	h.sum.set("healthz_rps", r.Rate)
	h.sum.set("healthz_p99_ms", r.P99)
	return nil
}
