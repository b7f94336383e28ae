package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test run the real program: with DIVVY_TEST_MAIN=1 the
// test binary is divvy itself, main and its signal handling included.
func TestMain(m *testing.M) {
	if os.Getenv("DIVVY_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// With no local server to use, `divvy` starts a private PostgreSQL; on
// SIGTERM it stops it before exiting, so no postmaster outlives the app.
// As root with a data directory the server's user cannot reach, it says in
// the log where the cluster went.
func TestPrivatePostgresStoppedOnSIGTERM(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(t.TempDir(), ".divvy") // 0700 parents: out of the server user's reach
	port := freePort(t)
	nobody := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=3", freePort(t))
	cmd := exec.Command(exe, "serve")
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.Getenv("TMPDIR"),
		"DIVVY_TEST_MAIN=1", "LOCAL_POSTGRES=" + nobody, "DIVVY_DATA_DIR=" + dataDir,
		"PORT=" + strconv.Itoa(port), "SETTLEMENT_DELAY=1h",
	}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	}()

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(2 * time.Minute) // initdb and every migration on a busy machine
	for {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("divvy exited before it was ready: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("divvy not ready\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	pgdata, moved := "", false
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		var line struct {
			Msg        string `json:"msg"`
			Pgdata     string `json:"pgdata"`
			ClusterDir string `json:"cluster_dir"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		if line.Msg == "database chosen" {
			pgdata = line.Pgdata
		}
		if line.ClusterDir != "" && strings.Contains(line.Msg, "temporary directory") {
			moved = true
		}
	}
	if pgdata == "" {
		t.Fatalf("no private cluster in the log\n%s", out.String())
	}
	if !strings.HasPrefix(pgdata, dataDir) {
		// Moved out of reach of dataDir: clean the temporary one up too.
		t.Cleanup(func() { os.RemoveAll(filepath.Dir(pgdata)) })
		if !moved {
			t.Errorf("the cluster is in %s, not under %s, and the log does not say so\n%s", pgdata, dataDir, out.String())
		}
	}
	pid := postmasterPID(t, pgdata)
	if !alive(pid) {
		t.Fatalf("postmaster %d not running", pid)
	}
	t.Cleanup(func() {
		if alive(pid) {
			syscall.Kill(pid, syscall.SIGQUIT)
		}
	})

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("divvy exited with %v\n%s", err, out.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("divvy did not exit within 60 s of SIGTERM\n%s", out.String())
	}
	if alive(pid) {
		t.Fatalf("postmaster %d still running after divvy exited\n%s", pid, out.String())
	}
}

// alive reports whether process pid runs (a zombie, exited but not yet
// reaped by an init that does not reap, counts as gone).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !os.IsNotExist(err)
	}
	// pid (comm) state ...: comm may hold spaces, the state follows the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func postmasterPID(t *testing.T, pgdata string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(pgdata, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	return pid
}
