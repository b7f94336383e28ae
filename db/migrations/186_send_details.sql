-- What a send is besides its money (the thread, the recipient, the note,
-- until when it waits), written before the card is charged, keyed by the
-- card payment's id. Reconciliation of a send cut by a crash between the
-- charge and the record posts its card and waiting record from it, and a
-- send whose card payment fails to settle is said in its thread.
CREATE TABLE send_details (
	transfer_id  text PRIMARY KEY,
	group_id     bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	sender_id    bigint NOT NULL REFERENCES users (id),
	recipient_id bigint NOT NULL REFERENCES users (id),
	note         text NOT NULL DEFAULT '',
	wait_until   timestamptz
);

-- Sends made before this table: from their payment cards.
INSERT INTO send_details (transfer_id, group_id, sender_id, recipient_id, note, wait_until)
SELECT m.data->>'transfer_id', m.group_id, m.author_id, (m.data->>'to_id')::bigint, coalesce(m.data->>'note', ''), w.expires_at
FROM messages m
LEFT JOIN waiting_sends w ON w.transfer_id = m.data->>'transfer_id'
WHERE m.kind = 'payment' AND m.data->>'method' = 'send' AND m.author_id IS NOT NULL
  AND (m.data->>'to_id') IS NOT NULL AND (m.data->>'transfer_id') IS NOT NULL
ON CONFLICT (transfer_id) DO NOTHING;
