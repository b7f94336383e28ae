package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"divvy/db"
	"divvy/db/dbtest"
)

// ecbFixture is a day of the ECB's eurofxref-daily.xml, cut short.
const ecbFixture = `<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
	<gesmes:subject>Reference rates</gesmes:subject>
	<gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
	<Cube>
		<Cube time='2026-11-27'>
			<Cube currency='USD' rate='1.0512'/>
			<Cube currency='JPY' rate='158.31'/>
			<Cube currency='GBP' rate='0.8436'/>
			<Cube currency='CHF' rate='0.9327'/>
			<Cube currency='ZAR' rate='19.021'/>
		</Cube>
	</Cube>
</gesmes:Envelope>`

// ratesServer serves the fixture, as the ECB would, and counts requests.
func ratesServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	n := new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, ecbFixture)
	}))
	t.Cleanup(srv.Close)
	return srv, n
}

// `divvy rates fetch` records the ECB's rates from RATES_URL; `divvy rates
// set` sets one by hand; `divvy rates` lists them.
func TestRatesCommand(t *testing.T) {
	ctx := context.Background()
	url := dbtest.URL(t)
	srv, _ := ratesServer(t)
	rates := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"divvy", "rates"}, args...), env(map[string]string{"DATABASE_URL": url,
			"DIVVY_DATA_DIR": t.TempDir(), "RATES_URL": srv.URL}), &out, &out)
		return out.String(), err
	}
	out, err := rates("fetch")
	if err != nil {
		t.Fatalf("rates fetch: %v\n%s", err, out)
	}
	for _, want := range []string{"4 rates fetched", "GBP 0.8436 per EUR (ecb, 2026-11-27)", "USD 1.0512 per EUR (ecb, 2026-11-27)",
		"JPY 158.31 per EUR", "EUR 1 per EUR (peg", "XOF 655.957 per EUR (peg"} {
		if !strings.Contains(out, want) {
			t.Errorf("rates fetch: output lacks %q\n%s", want, out)
		}
	}
	if strings.Contains(out, "ZAR") {
		t.Errorf("a currency Divvy does not know was kept\n%s", out)
	}
	if out, err = rates("set", "NGN", "1650.5"); err != nil || !strings.Contains(out, "NGN 1650.5 per EUR (operator") {
		t.Errorf("rates set NGN: %v\n%s", err, out)
	}
	for _, bad := range [][]string{{"set", "EUR", "2"}, {"set", "GBP", "-1"}, {"set", "XXX", "1"}, {"set", "GBP", "lots"}, {"nonsense"}} {
		if out, err := rates(bad...); err == nil {
			t.Errorf("rates %v: no error\n%s", bad, out)
		}
	}
}

// The server fetches the reference rates from RATES_URL when it starts.
func TestServeFetchesRates(t *testing.T) {
	srv, requests := ratesServer(t)
	url := dbtest.EmptyURL(t)
	vars := map[string]string{"DATABASE_URL": url, "PORT": fmt.Sprint(freePort(t)), "DIVVY_DATA_DIR": t.TempDir(), "RATES_URL": srv.URL}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"divvy"}, env(vars), &out, io.Discard) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), `"msg":"reference rates fetched"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no rates fetched after 30 s (%d requests)\n%s", requests.Load(), out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	store, err := db.Open(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	all, err := store.Rates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(db.RateList(all), "\n"); !strings.Contains(got, "CHF 0.9327 per EUR (ecb, 2026-11-27)") {
		t.Errorf("rates after serve:\n%s", got)
	}
}
