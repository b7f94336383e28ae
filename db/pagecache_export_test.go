package db

// PageReads is how many times thread page rows were read from the database.
func (d *DB) PageReads() int64 { return d.pages.reads.Load() }
