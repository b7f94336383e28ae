package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"divvy/db/dbtest"
)

// Graceful shutdown with 100 open event streams: the streams end at once
// instead of holding Shutdown until its deadline.
func TestShutdownWithOpenStreams(t *testing.T) {
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	vars := map[string]string{"DATABASE_URL": dbtest.EmptyURL(t), "PORT": fmt.Sprint(port), "DIVVY_DATA_DIR": t.TempDir(), "BASE_URL": base}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"divvy"}, env(vars), io.Discard, io.Discard) }()
	waitReady(t, base)

	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	post := func(path string, form url.Values) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	signUpHTTP(t, base, hc, "Olivia", "o@example.com")
	res := post("/threads", url.Values{"name": {"Pizza Friday"}, "currency": {"EUR"}})
	thread := res.Request.URL.Path
	if !strings.HasPrefix(thread, "/threads/") {
		t.Fatalf("thread at %q", thread)
	}

	const n = 100
	opened := make(chan struct{}, n)
	ended := make(chan struct{}, n)
	for range n {
		go func() {
			req, _ := http.NewRequest(http.MethodGet, base+thread+"/events", nil)
			res, err := hc.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer res.Body.Close()
			r := bufio.NewReader(res.Body)
			r.ReadString('\n') // the first bytes come at once
			opened <- struct{}{}
			io.Copy(io.Discard, r)
			ended <- struct{}{}
		}()
	}
	for range n {
		select {
		case <-opened:
		case <-time.After(20 * time.Second):
			t.Fatal("streams did not open")
		}
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("shutdown with open streams did not finish within 15 s (its deadline is 20 s)")
	}
	t.Logf("shutdown with %d open streams took %v", n, time.Since(start))
	for range n {
		select {
		case <-ended:
		case <-time.After(5 * time.Second):
			t.Fatal("a stream was still open after shutdown")
		}
	}
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("not ready")
}
