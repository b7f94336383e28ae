package db

import "syscall"

// lowerThreadPriority sets the calling thread's niceness (Linux applies
// PRIO_PROCESS with a thread id to that thread alone). Raising niceness
// needs no privilege; a failure leaves the normal priority.
func lowerThreadPriority(nice int) {
	syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), nice)
}
