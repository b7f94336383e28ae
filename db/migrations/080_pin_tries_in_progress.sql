-- pin_attempts counts wrong PINs only. A check in progress holds its place
-- in pin_pending until pin_pending_until, so that racing checks cannot all
-- slip past the limit, and a check that never finished (its process killed,
-- its database gone) frees its place when that time passes.
ALTER TABLE payment_profiles
	ADD COLUMN pin_pending integer NOT NULL DEFAULT 0 CHECK (pin_pending >= 0),
	ADD COLUMN pin_pending_until timestamptz;

-- Before, a check counted its try first and gave it back only if the PIN was
-- right; a fault in between left it counted, and five such left payments
-- refused for good with no lock that would ever end. Those counts are not
-- wrong PINs: forget them.
UPDATE payment_profiles SET pin_attempts = 0
WHERE pin_attempts >= 5 AND (pin_locked_until IS NULL OR pin_locked_until <= now());
