//go:build unix

package handlers

import (
	"net"
	"syscall"
)

// rawConn is c's socket, when it is one.
func rawConn(c net.Conn) syscall.RawConn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// tryWrite writes what of buf the socket takes now, without waiting and
// without a deadline (so no timer per write: at 10 000 streams, a timer
// for each write of each event was a good part of a fan-out's cost). A
// full socket buffer is no error: n says what was written.
func (s *sink) tryWrite(buf []byte) (n int, err error) {
	if s.raw == nil {
		return s.tryWriteDeadline(buf)
	}
	var werr error
	err = s.raw.Write(func(fd uintptr) bool {
		for n < len(buf) {
			m, e := syscall.Write(int(fd), buf[n:])
			if m > 0 {
				n += m
			}
			if e == syscall.EINTR {
				continue
			}
			if e == syscall.EAGAIN {
				break
			}
			if e != nil {
				werr = e
				break
			}
			if m <= 0 {
				break
			}
		}
		return true // never wait here: the rest goes slowly
	})
	if err == nil {
		err = werr
	}
	return n, err
}
