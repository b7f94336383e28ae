package db

import "time"

// SetPINCheckedHook makes f run between the hash check of a PIN and the
// recording of its outcome, for fault tests; nil removes it.
func SetPINCheckedHook(f func(userID int64)) { pinCheckedHook = f }

// SetPINTryTTL changes how long a try in progress holds its place, and
// returns a function that puts it back.
func SetPINTryTTL(d time.Duration) func() {
	old := pinTryTTL
	pinTryTTL = d
	return func() { pinTryTTL = old }
}
