package db

// PageReads is how many times thread page rows were read from the database.
func (d *DB) PageReads() int64 { return d.pages.reads.Load() }

// BalanceReads is how many times thread balances were read for pages.
func (d *DB) BalanceReads() int64 { return d.balances.reads.Load() }
