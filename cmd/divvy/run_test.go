package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"divvy/db/dbtest"
)

// syncBuffer is a log sink safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// End to end: run serves on a free port against an empty database, migrates
// it, becomes ready, and stops cleanly when its context ends.
func TestRunServesUntilCancelled(t *testing.T) {
	port := freePort(t)
	vars := map[string]string{
		"DATABASE_URL":   dbtest.EmptyURL(t),
		"PORT":           fmt.Sprint(port),
		"DIVVY_DATA_DIR": t.TempDir(),
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"divvy"}, env(vars), &out, io.Discard) }()

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("run returned before ready: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 20 s\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	res, err := http.Get(base + "/signup")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /signup: %v %v", res, err)
	}
	res.Body.Close()

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after cancel: %v", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatalf("run did not stop after cancel")
	}
	logs := out.String()
	for _, want := range []string{`"msg":"migrations applied"`, `"msg":"serving"`, `"pattern":"GET /signup"`, `"msg":"stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s\n%s", want, logs)
		}
	}
}

func TestRunMigrateAndUnknownCommand(t *testing.T) {
	vars := map[string]string{"DATABASE_URL": dbtest.EmptyURL(t), "DIVVY_DATA_DIR": t.TempDir()}
	var out syncBuffer
	if err := run(context.Background(), []string{"divvy", "migrate"}, env(vars), &out, io.Discard); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if !strings.Contains(out.String(), "001_accounts.sql") {
		t.Errorf("migrate did not report what it applied:\n%s", out.String())
	}
	if err := run(context.Background(), []string{"divvy", "frobnicate"}, env(vars), io.Discard, io.Discard); err == nil {
		t.Errorf("unknown command accepted")
	}
	vars["DIVVY_ENV"] = "production"
	err := run(context.Background(), []string{"divvy"}, env(vars), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "SESSION_KEYS") && !strings.Contains(err.Error(), "BASE_URL") {
		t.Errorf("production without secrets: %v; want a message naming the variable", err)
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
