-- Transfer ids in namespaces: an id a client sends (a pay or withdraw form's
-- id) is stored under its sender and action, and an id the ledger derives
-- (a settlement, void, refund or reversal) is a function of the transfer it
-- resolves or undoes. No one can then take, or burn with a refused request,
-- an id that belongs to someone else or that the ledger will need:
--   card_payment  'pay:u<payer>:<client id>'
--   payout        'payout:u<user>:<client id>'
--   settlement    'settle:<card payment>'    void     'void:<card payment>'
--   refund        'refund:<card payment>'    reversal 'reversal:<transfer>'
--   deposit, transfer, cash: ids made by the server, outside those prefixes.
-- NOT VALID: rows written before this rule keep their ids; every new row
-- obeys it.
ALTER TABLE ledger_transfers ADD CONSTRAINT ledger_transfers_id_namespace CHECK (
	CASE kind
		WHEN 'card_payment' THEN id LIKE 'pay:u' || payer_user_id || ':%'
		WHEN 'payout'       THEN id LIKE 'payout:u' || payer_user_id || ':%'
		WHEN 'settlement'   THEN id = 'settle:' || pending_of
		WHEN 'void'         THEN id = 'void:' || pending_of
		WHEN 'refund'       THEN id = 'refund:' || reverses
		WHEN 'reversal'     THEN id = 'reversal:' || reverses
		ELSE id !~ '^(pay|payout|settle|void|refund|reversal):'
	END) NOT VALID;
