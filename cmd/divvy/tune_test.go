package main

import (
	"runtime/debug"
	"testing"
)

// The collector's defaults apply unless GOGC or GOMEMLIMIT are set, each
// on its own.
func TestTuneRuntime(t *testing.T) {
	percent := func() int { p := debug.SetGCPercent(100); debug.SetGCPercent(p); return p }
	oldPercent, oldLimit := percent(), debug.SetMemoryLimit(-1)
	defer func() { debug.SetGCPercent(oldPercent); debug.SetMemoryLimit(oldLimit) }()
	env := func(vars map[string]string) func(string) string {
		vars["GOMAXPROCS"] = "2" // leave the process's Ps alone
		return func(k string) string { return vars[k] }
	}

	debug.SetGCPercent(100)
	debug.SetMemoryLimit(1 << 40)
	tuneRuntime(env(map[string]string{}))
	if p, l := percent(), debug.SetMemoryLimit(-1); p != 200 || l != 1<<30 {
		t.Fatalf("defaults: GOGC %d, GOMEMLIMIT %d; want 200 and 1 GiB", p, l)
	}
	debug.SetGCPercent(50)
	debug.SetMemoryLimit(64 << 20)
	tuneRuntime(env(map[string]string{"GOGC": "50", "GOMEMLIMIT": "64MiB"}))
	if p, l := percent(), debug.SetMemoryLimit(-1); p != 50 || l != 64<<20 {
		t.Fatalf("set by the environment: GOGC %d, GOMEMLIMIT %d; want 50 and 64 MiB kept", p, l)
	}
}
