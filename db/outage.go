package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/lib/pq"
)

// Canceled reports an error that only says the caller gave up (the browser
// went away, the request's context ended): nothing is wrong with the
// server, and nobody is waiting for an answer.
func Canceled(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var pe *pq.Error
	return errors.As(err, &pe) && pe.Code == "57014" // query_canceled: lib/pq cancels a query when its context ends
}

// Unavailable reports an error that says the database cannot be reached or
// takes no more connections right now: the request may be tried again in a
// moment, and no change was made.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pe *pq.Error
	if errors.As(err, &pe) {
		switch pe.Code {
		case "53300", // too_many_connections
			"57P01", "57P02", "57P03", // admin_shutdown, crash_shutdown, cannot_connect_now
			"08000", "08001", "08003", "08004", "08006": // connection exceptions
			return true
		}
		return false
	}
	var ne net.Error
	var oe *net.OpError
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.As(err, &oe) || (errors.As(err, &ne) && ne.Timeout())
}
