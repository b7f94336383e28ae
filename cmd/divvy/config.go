package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"divvy/db/pglocal"
)

// config is everything Divvy reads from the environment; nothing else reads it.
type config struct {
	Env         string // development or production
	DatabaseURL string
	Port        int
	BaseURL     string
	SessionKeys []string
	PINPepper   string
	DataDir     string // development: private PostgreSQL and kept secrets
	// LocalPostgres is the server tried before starting a private cluster,
	// when DATABASE_URL is not set; "" skips it.
	LocalPostgres string
	SettleDelay   time.Duration // sandbox provider settlement delay
	SandboxKey    string
	CapTransfer   decimal.Decimal // per-payment cap in EUR
	CapRolling30  decimal.Decimal // rolling 30-day cap per payer in EUR
	Locale        string          // default locale when neither the user nor the browser says
	SMTPURL       string          // when set, codes and reminders are mailed; else kept in the outbox
	// RatesURL is where the server fetches the ECB's daily reference
	// rates for the 30-day cap; "" (RATES_URL=off) fetches none.
	RatesURL string
	// TrustedProxies are the routers and load balancers in front of Divvy,
	// whose X-Forwarded-For is believed for the client's address.
	TrustedProxies []netip.Prefix
	// Load-measurement switches, refused in production: LIVE_UPDATES=off
	// sends no change notifications (live pages stop updating), and
	// LOAD_SKIP_PIN=1 accepts any PIN, so a load run can measure the
	// ledger write without the PIN hash.
	LiveUpdates bool
	SkipPIN     bool
	// RATE_LIMITS=off lifts the limits on sign-ups, guest joins, messages
	// and streams, whose simulated people a load run sends from one address.
	NoRateLimits bool
	// BALANCE_SUMMARY=off leaves the balance summary off thread pages, so a
	// load run can measure the same page without it.
	NoBalanceSummary bool
	// DebugAddr, when set, serves Go's profiler (net/http/pprof) on that
	// address, which must be a loopback one: for finding what a load run
	// is slow on, never reachable from outside the machine.
	DebugAddr string
}

func (c config) production() bool { return c.Env == "production" }

// loadConfig reads the environment. In production every secret must be set;
// in development missing ones are generated once and kept in DataDir.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		Env:         getenv("DIVVY_ENV"),
		DatabaseURL: getenv("DATABASE_URL"),
		BaseURL:     getenv("BASE_URL"),
		PINPepper:   getenv("PIN_PEPPER"),
		SandboxKey:  getenv("SANDBOX_KEY"),
		DataDir:     getenv("DIVVY_DATA_DIR"),
		Locale:      getenv("DEFAULT_LOCALE"),
		SMTPURL:     getenv("SMTP_URL"),
	}
	if c.Env == "" {
		c.Env = "development"
	}
	if c.Env != "development" && c.Env != "production" {
		return c, fmt.Errorf("DIVVY_ENV must be development or production, not %q", c.Env)
	}
	c.Port = 8080
	if p := getenv("PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			return c, fmt.Errorf("PORT must be a port number, not %q", p)
		}
		c.Port = n
	}
	if c.BaseURL == "" {
		c.BaseURL = fmt.Sprintf("http://localhost:%d", c.Port)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if k := getenv("SESSION_KEYS"); k != "" {
		for _, s := range strings.Split(k, ",") {
			if s = strings.TrimSpace(s); s != "" {
				c.SessionKeys = append(c.SessionKeys, s)
			}
		}
	}
	if c.DataDir == "" {
		c.DataDir = ".divvy"
	}
	switch c.LocalPostgres = getenv("LOCAL_POSTGRES"); c.LocalPostgres {
	case "":
		c.LocalPostgres = pglocal.DefaultURL
	case "none":
		c.LocalPostgres = ""
	}
	switch c.RatesURL = getenv("RATES_URL"); c.RatesURL {
	case "":
		c.RatesURL = ecbDailyRates
	case "off":
		c.RatesURL = ""
	}
	c.SettleDelay = 5 * time.Second
	if s := getenv("SETTLEMENT_DELAY"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return c, fmt.Errorf("SETTLEMENT_DELAY must be a duration such as 5s or 48h, not %q", s)
		}
		c.SettleDelay = d
	}
	for _, v := range []struct {
		name, def string
		dst       *decimal.Decimal
	}{{"CAP_PER_TRANSFER", "500", &c.CapTransfer}, {"CAP_30_DAYS", "1500", &c.CapRolling30}} {
		s := getenv(v.name)
		if s == "" {
			s = v.def
		}
		d, err := decimal.NewFromString(s)
		if err != nil || !d.IsPositive() || d.Exponent() < -2 {
			return c, fmt.Errorf("%s must be a positive amount in EUR such as 500, not %q", v.name, s)
		}
		*v.dst = d
	}
	switch c.Locale {
	case "":
		c.Locale = "en"
	case "en", "fr":
	default:
		return c, fmt.Errorf("DEFAULT_LOCALE must be en or fr, not %q", c.Locale)
	}

	for _, p := range strings.Split(getenv("TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			a, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return c, fmt.Errorf("TRUSTED_PROXIES must list addresses or networks, like 10.0.0.0/8,127.0.0.1, not %q", p)
			}
			prefix = netip.PrefixFrom(a, a.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix.Masked())
	}

	c.LiveUpdates = getenv("LIVE_UPDATES") != "off"
	c.SkipPIN = getenv("LOAD_SKIP_PIN") == "1"
	c.NoRateLimits = getenv("RATE_LIMITS") == "off"
	c.NoBalanceSummary = getenv("BALANCE_SUMMARY") == "off"
	if c.production() && (!c.LiveUpdates || c.SkipPIN || c.NoRateLimits || c.NoBalanceSummary) {
		return c, errors.New("LIVE_UPDATES=off, LOAD_SKIP_PIN, RATE_LIMITS=off and BALANCE_SUMMARY=off are for load measurements, never production")
	}

	if c.DebugAddr = getenv("DEBUG_ADDR"); c.DebugAddr != "" {
		host, _, err := net.SplitHostPort(c.DebugAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			return c, fmt.Errorf("DEBUG_ADDR must be a loopback address with a port, like 127.0.0.1:6060, not %q", c.DebugAddr)
		}
	}

	if c.production() {
		for _, v := range []struct{ name, val string }{
			{"DATABASE_URL", c.DatabaseURL},
			{"BASE_URL", getenv("BASE_URL")},
			{"SESSION_KEYS", strings.Join(c.SessionKeys, ",")},
			{"PIN_PEPPER", c.PINPepper},
			{"SANDBOX_KEY", c.SandboxKey},
		} {
			if v.val == "" {
				return c, fmt.Errorf("%s is not set; production needs it (see README, Configuration)", v.name)
			}
		}
		for _, k := range c.SessionKeys {
			if len(k) < 32 {
				return c, errors.New("SESSION_KEYS: each key must be at least 32 characters")
			}
		}
		return c, nil
	}
	return c, c.fillDevSecrets()
}

// devSecrets are generated on first start and kept, so sessions survive restarts.
type devSecrets struct {
	SessionKey string `json:"session_key"`
	PINPepper  string `json:"pin_pepper"`
	SandboxKey string `json:"sandbox_key"`
}

func (c *config) fillDevSecrets() error {
	if len(c.SessionKeys) > 0 && c.PINPepper != "" && c.SandboxKey != "" {
		return nil
	}
	path := filepath.Join(c.DataDir, "secrets.json")
	var s devSecrets
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("read %s: %w (delete it to make new development secrets)", path, err)
		}
	}
	changed := false
	for _, f := range []*string{&s.SessionKey, &s.PINPepper, &s.SandboxKey} {
		if *f == "" {
			*f = randomSecret()
			changed = true
		}
	}
	if changed {
		if err := os.MkdirAll(c.DataDir, 0o755); err != nil {
			return err
		}
		b, _ := json.MarshalIndent(s, "", "  ")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return fmt.Errorf("keep development secrets: %w", err)
		}
	}
	if len(c.SessionKeys) == 0 {
		c.SessionKeys = []string{s.SessionKey}
	}
	if c.PINPepper == "" {
		c.PINPepper = s.PINPepper
	}
	if c.SandboxKey == "" {
		c.SandboxKey = s.SandboxKey
	}
	return nil
}

func randomSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
