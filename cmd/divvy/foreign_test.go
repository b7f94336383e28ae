package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"divvy/db/dbtest"
)

// The split form's rate comes from the rates the server fetched from
// RATES_URL (here the ECB fixture, served locally): choosing the yen in a
// euro thread prefills 1 / 158.31.
func TestSplitFormRateFromFetchedRates(t *testing.T) {
	t.Parallel()
	base := startAppWithRates(t)
	s := seed(t, base, "olivia-rates@example.com", 2)
	form := url.Values{"title": {"Ramen"}, "currency": {"EUR"}, "mode": {"equal"}, "orig_amount": {"5000"}, "orig_currency": {"JPY"}}
	req, _ := http.NewRequest(http.MethodPost, base+s.thread+"/splits/preview", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	req.Header.Set("HX-Request", "true")
	res, err := s.org.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if m := regexp.MustCompile(`name="rate" type="text" value="([^"]*)"`).FindStringSubmatch(string(b)); m == nil || m[1] != "0.00631672" {
		t.Errorf("rate prefilled %v; want 0.00631672 (1 / 158.31)\n%s", m, b)
	}
	if !strings.Contains(string(b), "November 27, 2026") {
		t.Errorf("the preview does not say the rate's day\n%s", b)
	}
}

// startAppWithRates serves the app with RATES_URL on the ECB fixture, served
// locally, and returns its base URL once it has fetched the rates.
func startAppWithRates(t *testing.T) string {
	t.Helper()
	srv, _ := ratesServer(t)
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	vars := map[string]string{"DATABASE_URL": dbtest.EmptyURL(t), "PORT": fmt.Sprint(port), "BASE_URL": base,
		"DIVVY_DATA_DIR": t.TempDir(), "RATES_URL": srv.URL, "SETTLEMENT_DELAY": "1s"}
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"divvy"}, env(vars), &out, io.Discard) }()
	t.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(out.String(), `"msg":"reference rates fetched"`); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no rates fetched after 30 s\n%s", out.String())
		}
	}
	return base
}
