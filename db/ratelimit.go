package db

import (
	"context"
	"time"
)

// Hit counts one attempt against key in a fixed window shared by every app
// process, and reports whether it is within limit. When it is not, retry says
// when the window frees up. Counting first and checking after makes racing
// attempts unable to slip past the limit together.
func (d *DB) Hit(ctx context.Context, key string, limit int, window time.Duration) (ok bool, retry time.Duration, err error) {
	var r struct {
		Hits  int       `db:"hits"`
		Start time.Time `db:"window_start"`
	}
	err = d.x.GetContext(ctx, &r, `
		INSERT INTO rate_limits AS r (key, window_start, hits) VALUES ($1, now(), 1)
		ON CONFLICT (key) DO UPDATE SET
			hits = CASE WHEN r.window_start <= now() - $2::interval THEN 1 ELSE r.hits + 1 END,
			window_start = CASE WHEN r.window_start <= now() - $2::interval THEN now() ELSE r.window_start END
		RETURNING hits, window_start`, key, window.String())
	if err != nil {
		return false, 0, err
	}
	if r.Hits > limit {
		retry = time.Until(r.Start.Add(window))
		if retry < time.Second {
			retry = time.Second
		}
		return false, retry, nil
	}
	return true, 0, nil
}

// ResetHits forgets the attempts counted against key (after a success).
func (d *DB) ResetHits(ctx context.Context, key string) error {
	_, err := d.x.ExecContext(ctx, `DELETE FROM rate_limits WHERE key = $1`, key)
	return err
}
