package db

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The pool runs at most its size at once, a caller waiting for a thread
// gives up with its context, and (on Linux) the hashing threads run at the
// lower priority.
func TestHashPool(t *testing.T) {
	p := newHashPool(2)
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			err := p.run(context.Background(), func() {
				n := running.Add(1)
				for {
					old := peak.Load()
					if n <= old || peak.CompareAndSwap(old, n) {
						break
					}
				}
				time.Sleep(20 * time.Millisecond)
				running.Add(-1)
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if peak.Load() != 2 {
		t.Errorf("%d hashes ran at once on a pool of 2", peak.Load())
	}

	// Both threads busy: a caller whose context ends while waiting is told
	// the server is busy.
	release := make(chan struct{})
	for range 2 {
		go p.run(context.Background(), func() { <-release })
	}
	time.Sleep(20 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := p.run(ctx, func() { t.Error("ran past its deadline") }); ErrorCode(err) != EUNAVAILABLE {
		t.Errorf("waiting past the deadline: %v, want EUNAVAILABLE", err)
	}
	close(release)

	if runtime.GOOS != "linux" {
		return
	}
	var nice int
	p.run(context.Background(), func() {
		b, err := os.ReadFile("/proc/thread-self/stat")
		if err != nil {
			t.Fatal(err)
		}
		// Field 19 is the nice value; the command (field 2) is in parentheses.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		nice, _ = strconv.Atoi(f[16])
	})
	if nice != hashNice {
		t.Errorf("hashing thread nice = %d, want %d", nice, hashNice)
	}
}
