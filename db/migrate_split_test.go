package db

import (
	"reflect"
	"testing"
)

func TestStatements(t *testing.T) {
	for _, c := range []struct {
		sql  string
		want []string
	}{
		{"SELECT 1; SELECT 2;", []string{"SELECT 1", "SELECT 2"}},
		{"SELECT 1", []string{"SELECT 1"}},
		{"-- a comment; not a statement\nSELECT 1;\n-- trailing; comment\n", []string{"-- a comment; not a statement\nSELECT 1"}},
		{"/* a; /* nested; */ comment */ SELECT 1; /* only a comment; */", []string{"/* a; /* nested; */ comment */ SELECT 1"}},
		{"SELECT 'a;b', 'it''s; here'; SELECT 2", []string{"SELECT 'a;b', 'it''s; here'", "SELECT 2"}},
		{`SELECT E'a\';b'; SELECT 2`, []string{`SELECT E'a\';b'`, "SELECT 2"}},
		{`SELECT 'a\'; SELECT 2`, []string{`SELECT 'a\'`, "SELECT 2"}},
		{`SELECT "odd;""name"; SELECT 2`, []string{`SELECT "odd;""name"`, "SELECT 2"}},
		{"CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; END $$;\nSELECT 2;",
			[]string{"CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; END $$", "SELECT 2"}},
		{"DO $x$ BEGIN EXECUTE $$SELECT 1; SELECT 2$$; END $x$; SELECT 3",
			[]string{"DO $x$ BEGIN EXECUTE $$SELECT 1; SELECT 2$$; END $x$", "SELECT 3"}},
		{"PREPARE p AS SELECT $1; SELECT a$b; SELECT 3", []string{"PREPARE p AS SELECT $1", "SELECT a$b", "SELECT 3"}},
		{";;\n;", nil},
	} {
		if got := statements(c.sql); !reflect.DeepEqual(got, c.want) {
			t.Errorf("statements(%q)\n got %q\nwant %q", c.sql, got, c.want)
		}
	}
}

// Migrations split into as many statements as psql runs from them (the
// command tags psql -f printed, counted on 2026-12-01 for all 41 files, the
// same for each): a function body or a DO block is one statement.
func TestMigrationStatementCounts(t *testing.T) {
	for name, want := range map[string]int{"002_ledger.sql": 23, "110_positions.sql": 19, "220_ledger_triggers_per_table.sql": 21,
		"222_citus_distribute.sql": 1, "240_share_part_refunds.sql": 13} {
		body, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(statements(string(body))); got != want {
			t.Errorf("%s: %d statements, want %d", name, got, want)
		}
	}
}
