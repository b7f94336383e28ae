package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// cpuSample is CPU time used so far: by the harness, by the server it
// started, and by the whole machine (busy and all jiffies from
// /proc/stat). On a shared 2-core machine the harness, the server and
// PostgreSQL compete for the same cores: the rows say who used what.
type cpuSample struct {
	at          time.Time
	self        time.Duration
	server      time.Duration // -1 when unknown
	busy, total uint64
}

const clockTicks = 100 // USER_HZ on Linux

func (h *harness) cpuNow() cpuSample {
	s := cpuSample{at: time.Now(), server: -1}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if h.cur != nil {
		s.server = procCPU(h.cur.cmd.Process.Pid)
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := bytes.Cut(b, []byte{'\n'})
		f := bytes.Fields(line)
		for i, v := range f[1:] {
			n, _ := strconv.ParseUint(string(v), 10, 64)
			if i >= 8 { // guest time is already counted in user
				break
			}
			s.total += n
			if i != 3 && i != 4 { // idle, iowait
				s.busy += n
			}
		}
	}
	return s
}

// cpuBetween says how many cores each used between two samples.
func cpuBetween(a, b cpuSample) string {
	secs := b.at.Sub(a.at).Seconds()
	if secs <= 0 {
		return ""
	}
	out := "cores used: "
	if a.server >= 0 && b.server >= 0 {
		out += fmt.Sprintf("server %.2f, ", (b.server-a.server).Seconds()/secs)
	}
	out += fmt.Sprintf("harness %.2f", (b.self-a.self).Seconds()/secs)
	if b.total > a.total {
		out += fmt.Sprintf(", machine %.2f of %d", float64(b.busy-a.busy)/float64(b.total-a.total)*float64(runtime.NumCPU()), runtime.NumCPU())
	}
	return out
}

// procCPU is the CPU time process pid used so far (user and system), -1
// when unknown.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// Fields after the command name (which may hold spaces): utime is the
	// 14th field of the line, stime the 15th.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := bytes.Fields(b[i+1:])
	if len(f) <= 13 {
		return -1
	}
	ut, _ := strconv.ParseUint(string(f[11]), 10, 64)
	st, _ := strconv.ParseUint(string(f[12]), 10, 64)
	return time.Duration(ut+st) * time.Second / clockTicks
}
