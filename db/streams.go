package db

import (
	"context"

	"github.com/lib/pq"
)

// StreamKey is what an open event stream was allowed on: the session it was
// opened with, and the thread it shows.
type StreamKey struct {
	SessionID string
	ThreadID  int64
}

// StreamsAllowed says which open streams may go on: their session still
// live and its user still a member of the thread. Revoked sessions (log
// out, log out everywhere) and removed members are not.
func (d *DB) StreamsAllowed(ctx context.Context, keys []StreamKey) (map[StreamKey]bool, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	hashes := make([][]byte, len(keys))
	threads := make([]int64, len(keys))
	for i, k := range keys {
		hashes[i], threads[i] = hashToken(k.SessionID), k.ThreadID
	}
	var allowed []int64
	err := d.x.SelectContext(ctx, &allowed, `
		SELECT k.i FROM unnest($1::bytea[], $2::bigint[]) WITH ORDINALITY AS k(h, g, i)
		JOIN sessions s ON s.id_hash = k.h AND s.expires_at > now()
		JOIN group_members m ON m.group_id = k.g AND m.user_id = s.user_id`, pq.ByteaArray(hashes), pq.Array(threads))
	if err != nil {
		return nil, err
	}
	out := make(map[StreamKey]bool, len(allowed))
	for _, i := range allowed {
		out[keys[i-1]] = true
	}
	return out, nil
}

// streamsRecheck is the payload that asks every app process to check its
// open streams against StreamsAllowed.
const streamsRecheck = "recheck"

// NotifyRecheck tells every app process that sessions were revoked or
// members removed: each checks its open streams.
func (d *DB) NotifyRecheck(ctx context.Context) error {
	_, err := d.x.ExecContext(ctx, `SELECT pg_notify($1, $2)`, changeChannel, streamsRecheck)
	return err
}

// IsRecheck reports a change notification that asks for a check of the
// open streams.
func IsRecheck(payload string) bool { return payload == streamsRecheck }
