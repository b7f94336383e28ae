package db

import (
	"context"
	"runtime"
)

// Refusals of this file (worded in views/refusals_text.go).
var (
	errBusy = NewReason(EUNAVAILABLE, "server.busy")
)

// Slow hashes (Argon2id of passwords and PINs) run on a few dedicated
// threads: at most one per core but one, so a flood of login or PIN
// attempts queues instead of taking every core, and on Linux at a lower
// scheduling priority (nice 10), so pages and payments go first when the
// machine is busy and the hashes get what is left.
var hashers = newHashPool(max(1, runtime.GOMAXPROCS(0)-1))

// HashThreads returns how many threads run slow hashes. Each holds one of
// Go's Ps while it hashes, even while the kernel, honouring its lower
// priority, lets other threads run: a server should add this many to
// GOMAXPROCS, so that hashing never leaves requests fewer Ps than cores.
func HashThreads() int { return hashers.size }

// hashNice is the niceness of the hashing threads.
const hashNice = 10

type hashPool struct {
	jobs chan func()
	size int
}

func newHashPool(n int) *hashPool {
	p := &hashPool{jobs: make(chan func()), size: n}
	for range n {
		go p.work()
	}
	return p
}

func (p *hashPool) work() {
	// The thread is this goroutine's for good, so its priority stays with
	// the hashing.
	runtime.LockOSThread()
	lowerThreadPriority(hashNice)
	for job := range p.jobs {
		job()
	}
}

// run runs f on a hashing thread and waits for it. Waiting for a free
// thread ends with ctx (EUNAVAILABLE); a started hash runs to the end.
func (p *hashPool) run(ctx context.Context, f func()) error {
	done := make(chan struct{})
	select {
	case p.jobs <- func() { defer close(done); f() }:
	case <-ctx.Done():
		return errBusy.New()
	}
	<-done
	return nil
}
