//go:build !unix

package handlers

import (
	"net"
	"syscall"
)

func rawConn(net.Conn) syscall.RawConn { return nil }

func (s *sink) tryWrite(buf []byte) (int, error) { return s.tryWriteDeadline(buf) }
