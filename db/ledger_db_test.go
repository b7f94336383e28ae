package db_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"divvy/db"
	"divvy/db/dbtest"
)

// These tests go around the Go code, straight to SQL: the database itself
// must refuse what would break the ledger.

// ledgerWithPayment returns a store holding a deposit, a send and a pending
// card payment of a share.
func ledgerWithPayment(t *testing.T) (d *db.DB, deposit, payment db.Transfer) {
	t.Helper()
	ctx := context.Background()
	d = dbtest.New(t)
	u := users(t, d, 2)
	fund(t, d, u[0], eur("100"))
	deposit, err := d.Send(ctx, newID(), u[0], u[1], eur("10"))
	if err != nil {
		t.Fatal(err)
	}
	clearing, _ := d.UserAccount(ctx, u[0], db.AccountClearing, "EUR")
	pending, _ := d.UserAccount(ctx, u[1], db.AccountPending, "EUR")
	_, split, share := newSplit(t, d, u[1], u[:1], "20")
	payment, err = d.RecordTransfer(ctx, db.TransferRequest{ID: db.CardPaymentID(u[0], newID()), Kind: db.TransferCardPayment,
		From: clearing.ID, To: pending.ID, Amount: eur("20"), PayerID: u[0], SplitID: split, ShareID: share[0], ProviderRef: "ch_test"})
	if err != nil {
		t.Fatal(err)
	}
	return d, deposit, payment
}

func mustFail(t *testing.T, d *db.DB, what, want string, stmts ...string) {
	t.Helper()
	tx, err := d.SQL().Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, s := range stmts {
		if _, err = tx.Exec(s); err != nil {
			break
		}
	}
	if err == nil {
		err = tx.Commit()
	}
	if err == nil {
		t.Fatalf("%s: the database accepted it", what)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("%s: error %q, want it to mention %q", what, err, want)
	}
}

func TestLedgerIsAppendOnly(t *testing.T) {
	t.Parallel()
	d, dep, _ := ledgerWithPayment(t)
	for _, table := range []string{"ledger_transfers", "ledger_entries", "ledger_attempts"} {
		mustFail(t, d, "update "+table, "append-only", `UPDATE `+table+` SET id = id`)
		if table == "ledger_entries" {
			mustFail(t, d, "update entries", "append-only", `UPDATE ledger_entries SET amount = amount * 2`)
		}
		mustFail(t, d, "delete "+table, "append-only", `DELETE FROM `+table)
		mustFail(t, d, "truncate "+table, "append-only", `TRUNCATE `+table+` CASCADE`)
	}
	mustFail(t, d, "update one transfer", "append-only", `UPDATE ledger_transfers SET amount = 1 WHERE id = '`+dep.ID+`'`)
	mustFail(t, d, "update nothing", "append-only", `UPDATE ledger_transfers SET amount = 1 WHERE false`)
	auditClean(t, d)
}

// The row-level triggers hold on their own: on a Citus coordinator the
// statement-level ones are not copied to the tables' shards.
func TestLedgerIsAppendOnlyRowByRow(t *testing.T) {
	t.Parallel()
	d, dep, _ := ledgerWithPayment(t)
	ledgerAppendOnlyRows(t, d, dep, `ALTER TABLE ledger_transfers DISABLE TRIGGER ledger_transfers_append_only`,
		`ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only`,
		`ALTER TABLE ledger_attempts DISABLE TRIGGER ledger_attempts_append_only`)
}

// ledgerAppendOnlyRows checks that no ledger row can be updated or deleted,
// after the statements in before (in the same transaction).
func ledgerAppendOnlyRows(t *testing.T, d *db.DB, dep db.Transfer, before ...string) {
	t.Helper()
	attempt := `INSERT INTO ledger_attempts (id, code, message, request_hash, created_at) VALUES ('failed-attempt-1', 'invalid', 'x', 'x', now())`
	with := func(stmts ...string) []string { return append(append([]string{attempt}, before...), stmts...) }
	for _, table := range []string{"ledger_transfers", "ledger_entries", "ledger_attempts"} {
		mustFail(t, d, "update "+table+" row by row", "append-only", with(`UPDATE `+table+` SET id = id`)...)
		mustFail(t, d, "delete "+table+" row by row", "append-only", with(`DELETE FROM `+table)...)
	}
	mustFail(t, d, "update one transfer row by row", "append-only", with(`UPDATE ledger_transfers SET amount = 1 WHERE id = '`+dep.ID+`'`)...)
	mustFail(t, d, "update entries row by row", "append-only", with(`UPDATE ledger_entries SET amount = amount * 2`)...)
}

func TestDatabaseRefusesUnbalancedTransfers(t *testing.T) {
	t.Parallel()
	d, dep, _ := ledgerWithPayment(t)
	var from, to int64
	d.SQL().Get(&from, `SELECT account_id FROM ledger_entries WHERE transfer_id = $1 AND amount < 0`, dep.ID)
	d.SQL().Get(&to, `SELECT account_id FROM ledger_entries WHERE transfer_id = $1 AND amount > 0`, dep.ID)
	ins := `INSERT INTO ledger_transfers (id, kind, currency, minor, amount, request_hash, created_at)
		VALUES ('unbalanced-1', 'transfer', 'EUR', 2, 5, 'x', now())`
	entry := func(acct int64, amount string) string {
		return `INSERT INTO ledger_entries (transfer_id, account_id, currency, minor, amount)
			VALUES ('unbalanced-1', ` + itoa(acct) + `, 'EUR', 2, ` + amount + `)`
	}
	mustFail(t, d, "unbalanced", "does not balance", ins, entry(from, "-5"), entry(to, "4.99"))
	mustFail(t, d, "one entry", "at least 2", ins, entry(from, "-5"))
	mustFail(t, d, "no entries", "at least 2", ins)
	mustFail(t, d, "an entry added to an old transfer", "does not balance", `
		INSERT INTO ledger_entries (transfer_id, account_id, currency, minor, amount)
		VALUES ('`+dep.ID+`', `+itoa(to)+`, 'EUR', 2, 1)`)
	mustFail(t, d, "a cent split", "ledger_entries_amount", ins, entry(from, "-5.001"), entry(to, "5.001"))
	mustFail(t, d, "an entry in another currency than its account", "foreign key", ins,
		`INSERT INTO ledger_entries (transfer_id, account_id, currency, minor, amount)
		 VALUES ('unbalanced-1', `+itoa(from)+`, 'JPY', 0, -5)`)
	auditClean(t, d)
}

func TestDatabaseRefusesNegativeBalance(t *testing.T) {
	t.Parallel()
	d, dep, _ := ledgerWithPayment(t)
	mustFail(t, d, "overdraft", "ledger_accounts_no_overdraft",
		`UPDATE ledger_accounts SET balance = -0.01 WHERE id = (SELECT account_id FROM ledger_entries WHERE transfer_id = '`+dep.ID+`' AND amount > 0)`)
	// Clearing accounts may go negative: the payment above made one so.
	var n int
	d.SQL().Get(&n, `SELECT count(*) FROM ledger_accounts WHERE kind = 'provider_clearing' AND balance < 0`)
	if n != 1 {
		t.Errorf("%d negative clearing accounts, want 1", n)
	}
	mustFail(t, d, "a user account that may go negative", "check constraint",
		`INSERT INTO ledger_accounts (kind, user_id, currency, minor, may_go_negative)
		 SELECT 'user_available', id, 'EUR', 2, true FROM users LIMIT 1`)
}

func TestDatabaseRefusesSecondPaymentOfShare(t *testing.T) {
	t.Parallel()
	d, _, pay := ledgerWithPayment(t)
	mustFail(t, d, "second payment of a share", "share_payments_once", `
		INSERT INTO ledger_transfers (id, kind, currency, minor, amount, payer_user_id, share_id, provider_ref, request_hash, created_at, cap_amount)
		SELECT 'pay:u' || payer_user_id || ':second-pay', 'card_payment', 'EUR', 2, 20, payer_user_id, share_id, 'ch_x', 'x', now(), 20
		FROM ledger_transfers WHERE id = '`+pay.ID+`'`)
	// Through the store: a clear refusal, not a 500.
	u := pay.PayerID
	clearing, _ := d.UserAccount(context.Background(), u, db.AccountClearing, "EUR")
	_, err := d.RecordTransfer(context.Background(), db.TransferRequest{ID: db.CardPaymentID(u, newID()), Kind: db.TransferCardPayment,
		From: clearing.ID, To: pay.To, Amount: eur("20"), PayerID: u, ShareID: pay.ShareID, ProviderRef: "ch_y"})
	wantCode(t, err, db.ECONFLICT)
}

func TestDatabaseRefusesSecondResolution(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, _, pay := ledgerWithPayment(t)
	void, err := d.RecordTransfer(ctx, db.TransferRequest{ID: db.VoidID(pay.ID), Kind: db.TransferVoid,
		From: pay.To, To: pay.From, Amount: pay.Amount, PendingOf: pay.ID})
	if err != nil {
		t.Fatal(err)
	}
	mustFail(t, d, "a settlement after the void", "ledger_transfers_pending_of_key", `
		INSERT INTO ledger_transfers (id, kind, currency, minor, amount, pending_of, request_hash, created_at)
		VALUES ('settle:`+pay.ID+`', 'settlement', 'EUR', 2, 20, '`+pay.ID+`', 'x', now())`)
	avail, _ := d.UserAccount(ctx, u1(t, d, pay), db.AccountAvailable, "EUR")
	_, err = d.RecordTransfer(ctx, db.TransferRequest{ID: db.SettlementID(pay.ID), Kind: db.TransferSettlement,
		From: pay.To, To: avail.ID, Amount: pay.Amount, PendingOf: pay.ID})
	wantCode(t, err, db.ECONFLICT)
	if !strings.Contains(err.Error(), void.ID) {
		t.Errorf("message %q should name the void", err)
	}
	mustFail(t, d, "a second undoing", "ledger_transfers_reverses_key", `
		INSERT INTO ledger_transfers (id, kind, currency, minor, amount, reverses, request_hash, created_at)
		VALUES ('reversal:`+pay.ID+`', 'reversal', 'EUR', 2, 20, '`+pay.ID+`', 'x', now())`,
		`INSERT INTO ledger_transfers (id, kind, currency, minor, amount, reverses, request_hash, created_at)
		VALUES ('refund:`+pay.ID+`', 'refund', 'EUR', 2, 20, '`+pay.ID+`', 'x', now())`)
	auditClean(t, d)
}

// u1 returns the owner of the account a transfer credited.
func u1(t *testing.T, d *db.DB, tr db.Transfer) int64 {
	t.Helper()
	a, err := d.AccountByID(context.Background(), tr.To)
	if err != nil {
		t.Fatal(err)
	}
	return a.UserID
}

// Ids live in namespaces: a client's id under its sender and action, a
// derived id as a function of what it resolves. Whatever writes the rows,
// no id can sit in another's namespace.
func TestDatabaseRefusesIDOutsideItsNamespace(t *testing.T) {
	t.Parallel()
	d, _, pay := ledgerWithPayment(t)
	for name, stmt := range map[string]string{
		"a card payment under another payer": `INSERT INTO ledger_transfers (id, kind, currency, minor, amount, payer_user_id, provider_ref, request_hash, created_at, cap_amount)
			SELECT 'pay:u' || (payer_user_id + 1) || ':x-12345678', 'card_payment', 'EUR', 2, 1, payer_user_id, 'ch', 'x', now(), 1 FROM ledger_transfers WHERE id = '` + pay.ID + `'`,
		"a settlement under any id": `INSERT INTO ledger_transfers (id, kind, currency, minor, amount, pending_of, request_hash, created_at)
			VALUES ('cash-share-12', 'settlement', 'EUR', 2, 20, '` + pay.ID + `', 'x', now())`,
		"a deposit in the settlements' namespace": `INSERT INTO ledger_transfers (id, kind, currency, minor, amount, request_hash, created_at)
			VALUES ('settle:` + pay.ID + `', 'deposit', 'EUR', 2, 20, 'x', now())`,
		"a refund of another payment": `INSERT INTO ledger_transfers (id, kind, currency, minor, amount, reverses, request_hash, created_at)
			VALUES ('refund:someone-else-1', 'refund', 'EUR', 2, 20, '` + pay.ID + `', 'x', now())`,
	} {
		mustFail(t, d, name, "ledger_transfers_id_namespace", stmt)
	}
}

// A transfer whose connection dies before commit leaves nothing behind.
func TestKilledTransferLeavesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	u := users(t, d, 2)
	a := fund(t, d, u[0], eur("100"))
	b, _ := d.UserAccount(ctx, u[1], db.AccountAvailable, "EUR")

	tx, err := d.SQL().BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if err := tx.Get(&pid, `SELECT pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	id := newID()
	if _, err := db.ApplyTransferTx(ctx, d, tx, db.TransferRequest{ID: id, Kind: db.TransferSend,
		From: a.ID, To: b.ID, Amount: eur("40"), PayerID: u[0]}); err != nil {
		t.Fatal(err)
	}
	var killed bool
	if err := d.SQL().Get(&killed, `SELECT pg_terminate_backend($1, 5000)`, pid); err != nil || !killed {
		t.Fatalf("terminate backend %d: %v, %v", pid, killed, err)
	}
	if err := tx.Commit(); err == nil {
		t.Fatal("commit on a killed connection succeeded")
	}
	var n int
	d.SQL().Get(&n, `SELECT count(*) FROM ledger_transfers WHERE id = $1`, id)
	var e int
	d.SQL().Get(&e, `SELECT count(*) FROM ledger_entries WHERE transfer_id = $1`, id)
	if n != 0 || e != 0 {
		t.Errorf("after the kill: %d transfers and %d entries, want none", n, e)
	}
	if got := available(t, d, u[0], "EUR"); got.String() != "100.00 EUR" {
		t.Errorf("balance %s, want 100.00 EUR", got)
	}
	// The id was never used: it goes through now.
	if _, err := d.Send(ctx, id, u[0], u[1], eur("40")); err != nil {
		t.Fatalf("the id after the kill: %v", err)
	}
	auditClean(t, d)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
