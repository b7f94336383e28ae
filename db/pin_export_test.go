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

// PINHashes returns how many PIN checks of d ran Argon2id.
func (d *DB) PINHashes() int64 { return d.pins.hashed.Load() }

// SetPINMemoryClock makes the memory of right PINs tell time by now.
func (d *DB) SetPINMemoryClock(now func() time.Time) {
	d.pins.init()
	d.pins.mu.Lock()
	d.pins.now = now
	d.pins.mu.Unlock()
}

// PINMemoryTTL is how long a right PIN is remembered.
const PINMemoryTTL = pinMemoryTTL
