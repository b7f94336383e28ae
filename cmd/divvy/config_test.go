package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"divvy/db/pglocal"
)

// env is the environment a test gives run. RATES_URL is off unless the
// test sets it (to a local server): no test reaches the network.
func env(m map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := m[k]; ok || k != "RATES_URL" {
			return v
		}
		return "off"
	}
}

func TestConfigDefaults(t *testing.T) {
	dir := t.TempDir()
	c, err := loadConfig(env(map[string]string{"DIVVY_DATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Env != "development" || c.Port != 8080 || c.BaseURL != "http://localhost:8080" || c.SettleDelay != 5*time.Second || c.Locale != "en" {
		t.Errorf("defaults = %+v", c)
	}
	if c.LocalPostgres != pglocal.DefaultURL {
		t.Errorf("LocalPostgres = %q; want %q", c.LocalPostgres, pglocal.DefaultURL)
	}
	if c, _ := loadConfig(env(map[string]string{"DIVVY_DATA_DIR": dir, "LOCAL_POSTGRES": "none"})); c.LocalPostgres != "" {
		t.Errorf("LOCAL_POSTGRES=none gives LocalPostgres %q; want none", c.LocalPostgres)
	}
	if len(c.SessionKeys) != 1 || c.PINPepper == "" || c.SandboxKey == "" {
		t.Fatalf("development secrets not generated: %+v", c)
	}
	// Kept, so sessions survive a restart.
	again, err := loadConfig(env(map[string]string{"DIVVY_DATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	if again.SessionKeys[0] != c.SessionKeys[0] || again.PINPepper != c.PINPepper {
		t.Errorf("development secrets changed between starts")
	}
	if fi, err := os.Stat(filepath.Join(dir, "secrets.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("secrets file: %v, mode %v; want 0600", err, fi)
	}
}

func TestConfigProductionNeedsSecrets(t *testing.T) {
	full := map[string]string{
		"DIVVY_ENV":    "production",
		"DATABASE_URL": "postgres://db/divvy",
		"BASE_URL":     "https://divvy.example",
		"SESSION_KEYS": strings.Repeat("k", 40) + "," + strings.Repeat("o", 40),
		"PIN_PEPPER":   "pepper",
		"SANDBOX_KEY":  "sandbox",
	}
	c, err := loadConfig(env(full))
	if err != nil {
		t.Fatalf("full production config: %v", err)
	}
	if len(c.SessionKeys) != 2 {
		t.Errorf("session keys = %d, want 2 (rotation)", len(c.SessionKeys))
	}
	for _, missing := range []string{"DATABASE_URL", "BASE_URL", "SESSION_KEYS", "PIN_PEPPER", "SANDBOX_KEY"} {
		m := map[string]string{}
		for k, v := range full {
			if k != missing {
				m[k] = v
			}
		}
		_, err := loadConfig(env(m))
		if err == nil || !strings.Contains(err.Error(), missing) || strings.Contains(err.Error(), "\n") {
			t.Errorf("without %s: error %v; want one line naming it", missing, err)
		}
	}
}

func TestConfigRejectsBadValues(t *testing.T) {
	for _, m := range []map[string]string{
		{"PORT": "eighty"},
		{"PORT": "70000"},
		{"DIVVY_ENV": "staging"},
		{"SETTLEMENT_DELAY": "soon"},
		{"DEFAULT_LOCALE": "de"},
		{"CAP_PER_TRANSFER": "-5"},
		{"CAP_30_DAYS": "lots"},
		{"DEBUG_ADDR": "0.0.0.0:6060"},
		{"DEBUG_ADDR": ":6060"},
		{"DEBUG_ADDR": "127.0.0.1"},
		{"TRUSTED_PROXIES": "10.0.0.0/8,router"},
		{"TRUSTED_PROXIES": "10.0.0.0/33"},
		{"DIVVY_ENV": "production", "RATE_LIMITS": "off", "DATABASE_URL": "x", "BASE_URL": "x", "SESSION_KEYS": strings.Repeat("k", 40), "PIN_PEPPER": "p", "SANDBOX_KEY": "s"},
		{"DIVVY_ENV": "production", "BALANCE_SUMMARY": "off", "DATABASE_URL": "x", "BASE_URL": "x", "SESSION_KEYS": strings.Repeat("k", 40), "PIN_PEPPER": "p", "SANDBOX_KEY": "s"},
		{"DIVVY_ENV": "production", "LOAD_SKIP_PIN": "1", "DATABASE_URL": "x", "BASE_URL": "x", "SESSION_KEYS": strings.Repeat("k", 40), "PIN_PEPPER": "p", "SANDBOX_KEY": "s"},
	} {
		m["DIVVY_DATA_DIR"] = t.TempDir()
		if _, err := loadConfig(env(m)); err == nil {
			t.Errorf("loadConfig(%v) accepted it", m)
		}
	}
}

func TestConfigTrustedProxies(t *testing.T) {
	c, err := loadConfig(env(map[string]string{"TRUSTED_PROXIES": " 10.0.0.0/8, 192.168.1.7 ,::1", "DIVVY_DATA_DIR": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(c.TrustedProxies) != "[10.0.0.0/8 192.168.1.7/32 ::1/128]" {
		t.Errorf("TrustedProxies = %v", c.TrustedProxies)
	}
}
