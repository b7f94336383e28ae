//go:build !linux

package main

import (
	"errors"
	"net"
)

// pollers exist on Linux only (epoll); elsewhere the harness reads each
// stream in a goroutine of its own, as with -stream-goroutines.
type pollers struct{}

type rawStream struct{ ended chan struct{} }

func newPollers() (*pollers, error) {
	return nil, errors.New("event stream pollers need Linux: use -stream-goroutines")
}

func (*pollers) add(net.Conn, []byte, *sseParser, func(*sseEvent)) (*rawStream, error) {
	return nil, errors.New("no pollers")
}

func (*pollers) remove(*rawStream) {}
