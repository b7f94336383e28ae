package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"divvy/db"
)

// ecbDailyRates is the European Central Bank's daily reference rates, the
// default RATES_URL.
const ecbDailyRates = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"

// rates is `divvy rates`: list the reference rates the 30-day cap converts
// with; `rates fetch` fetches the ECB's from RATES_URL now; `rates set GBP
// 0.8571` sets one by hand (units per euro), for a currency the ECB does
// not publish or while it cannot be reached.
func rates(ctx context.Context, cfg config, store *db.DB, args []string, stdout io.Writer) error {
	switch {
	case len(args) == 0:
	case args[0] == "fetch" && len(args) == 1:
		if cfg.RatesURL == "" {
			return errors.New("rates: RATES_URL is off")
		}
		n, err := fetchRates(ctx, store, cfg.RatesURL)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d rates fetched from %s\n", n, cfg.RatesURL)
	case args[0] == "set" && len(args) == 3:
		v, err := decimal.NewFromString(args[2])
		if err != nil {
			return fmt.Errorf("rates: %q is not a number of %s per euro", args[2], strings.ToUpper(args[1]))
		}
		if _, err := store.SetRates(ctx, "operator", time.Now(), map[string]decimal.Decimal{args[1]: v}); err != nil {
			return fmt.Errorf("rates: %s", db.ErrorMessage(err))
		}
	default:
		return errors.New("usage: divvy rates [fetch | set CUR PER_EUR]")
	}
	all, err := store.Rates(ctx)
	if err != nil {
		return err
	}
	for _, line := range db.RateList(all) {
		fmt.Fprintln(stdout, line)
	}
	return nil
}

// fetchRates fetches the ECB's daily rates from url and records them.
func fetchRates(ctx context.Context, store *db.DB, url string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("rates: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("rates: %s answered %s", url, res.Status)
	}
	asOf, rates, err := db.ParseECBRates(res.Body)
	if err != nil {
		return 0, err
	}
	return store.SetRates(ctx, "ecb", asOf, rates)
}

// keepRates fetches the reference rates when the server starts and then
// every 6 hours (the ECB publishes once a working day). When the source
// cannot be reached the rates known stay in force, and a currency without
// any is refused by the cap with a sentence that says so.
func keepRates(ctx context.Context, log *slog.Logger, store *db.DB, url string) {
	if url == "" {
		return
	}
	for {
		if n, err := fetchRates(ctx, store, url); err != nil {
			if ctx.Err() == nil {
				log.Warn("reference rates not fetched", "url", url, "err", err)
			}
		} else {
			log.Info("reference rates fetched", "url", url, "rates", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(6 * time.Hour):
		}
	}
}
