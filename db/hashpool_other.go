//go:build !linux

package db

// lowerThreadPriority is Linux only; elsewhere hashes run at normal priority.
func lowerThreadPriority(int) {}
