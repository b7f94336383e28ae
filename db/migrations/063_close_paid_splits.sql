-- Splits paid in full but left open by the versions that closed a split
-- after the last payment's commit, in a step of its own that a crash could
-- lose: close them now, with their "All paid" message, as the last payment
-- does in its own transaction since.
WITH paid AS (
	SELECT s.id, s.group_id, s.title FROM splits s
	WHERE s.status = 'open'
	  AND EXISTS (SELECT 1 FROM shares sh WHERE sh.split_id = s.id AND sh.user_id <> s.payee_id)
	  AND NOT EXISTS (SELECT 1 FROM shares sh WHERE sh.split_id = s.id AND sh.user_id <> s.payee_id
	                  AND NOT EXISTS (SELECT 1 FROM share_payments p WHERE p.share_id = sh.id AND p.undone_by IS NULL))
), closed AS (
	UPDATE splits s SET status = 'complete', closed_at = now() FROM paid WHERE s.id = paid.id RETURNING s.id
)
INSERT INTO messages (group_id, kind, split_id, data)
SELECT paid.group_id, 'system', paid.id, jsonb_build_object('event', 'split_closed', 'title', paid.title)
FROM paid JOIN closed ON closed.id = paid.id
ON CONFLICT DO NOTHING;
