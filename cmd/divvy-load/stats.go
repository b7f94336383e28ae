package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// percentile returns the p-th percentile (0 < p <= 100) of sorted samples
// by the nearest-rank method: the smallest sample with at least p% of the
// samples at or below it. It returns 0 for no samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// latency summarises a set of latency samples.
type latency struct {
	N             int
	P50, P99, Max time.Duration
}

func summarize(samples []time.Duration) latency {
	if len(samples) == 0 {
		return latency{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	return latency{N: len(s), P50: percentile(s, 50), P99: percentile(s, 99), Max: s[len(s)-1]}
}

// ms is a duration in milliseconds, for the table and the summary.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// formatNum prints a figure with as many digits as it deserves: whole
// numbers from 1 000 up, one decimal from 10, three significant digits
// below; NaN (a figure that could not be measured) is "n/a".
func formatNum(f float64) string {
	switch a := math.Abs(f); {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return "n/a"
	case a >= 1000:
		return strconv.FormatFloat(f, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(f, 'f', 1, 64)
	case a == 0:
		return "0"
	default:
		return strconv.FormatFloat(f, 'g', 3, 64)
	}
}

func nanf() float64 { return math.NaN() }

// ratio is a/b, NaN when either is missing or b is zero.
func ratio(a, b float64) float64 {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return a / b
}

// summary is the one line of key=value pairs the run ends with, in the
// order the keys were first set.
type summary struct {
	keys []string
	vals map[string]string
}

func newSummary() *summary { return &summary{vals: map[string]string{}} }

// set records a figure: float64 through formatNum, anything else as %v.
func (s *summary) set(key string, v any) {
	var str string
	switch x := v.(type) {
	case float64:
		str = formatNum(x)
	case time.Duration:
		str = formatNum(ms(x))
	default:
		str = fmt.Sprint(x)
	}
	str = strings.ReplaceAll(str, " ", "_")
	if _, ok := s.vals[key]; !ok {
		s.keys = append(s.keys, key)
	}
	s.vals[key] = str
}

func (s *summary) String() string {
	var b strings.Builder
	for i, k := range s.keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(s.vals[k])
	}
	return b.String()
}

// row is one line of the results table.
type row struct {
	Scenario string
	Server   string // which server process: pin, ledger, live-off, ...
	Conc     int
	Ops      int
	Rate     float64 // per second, NaN when not a rate
	Unit     string  // what Rate counts: req/s, pay/s, tps
	P50, P99 float64 // milliseconds, NaN when not measured
	Errors   int
	Note     string
}

const tableHeader = "scenario               server    conc      ops        rate unit       p50_ms    p99_ms  errors  note"

func (r row) String() string {
	conc := "-"
	if r.Conc > 0 {
		conc = strconv.Itoa(r.Conc)
	}
	return fmt.Sprintf("%-22s %-8s %5s %8d %11s %-9s %9s %9s %7d  %s",
		r.Scenario, r.Server, conc, r.Ops, formatNum(r.Rate), r.Unit, formatNum(r.P50), formatNum(r.P99), r.Errors, r.Note)
}
