//go:build linux

package main

import (
	"errors"
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
)

// A poller reads many event streams from one goroutine: an epoll set of
// their sockets (level-triggered), read when ready, one read each. A
// goroutine per stream reading through net/http costs, per event, a read
// that returns the event, a second that finds nothing (EAGAIN), parking
// the goroutine, the runtime's poller waking it, and two copies through
// bufio; with 10 000 streams on the two cores the server also needs, that
// was most of the harness's 0.8 of a core (2026-12-01). Here
// an event costs one read(2) and the parse, and one epoll_wait serves the
// many sockets ready at once. Every byte is still read and parsed.
//
// The epoll set's own descriptor waits in Go's runtime poller (it is
// readable when a socket in it is), so no thread blocks in epoll_wait.
type poller struct {
	epfd int
	ep   *os.File
	rc   syscall.RawConn
	mu   sync.Mutex // held while reading: remove waits for the read under way
	byFD map[int32]*rawStream
	buf  []byte
	evs  []syscall.EpollEvent
}

// rawStream is one stream a poller reads: its socket (a descriptor of its
// own, see pollers.add), the parser, and on for each event. ended is
// closed when the stream ends (EOF or an error); err says why.
type rawStream struct {
	fd    int
	p     *sseParser
	on    func(*sseEvent)
	ended chan struct{}
	err   error
}

// pollers spread the streams over one poller per core.
type pollers struct {
	ps   []*poller
	next int
	mu   sync.Mutex
}

// newPollers starts the pollers; they live as long as the process.
func newPollers() (*pollers, error) {
	var out pollers
	for range runtime.GOMAXPROCS(0) {
		fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			return nil, os.NewSyscallError("epoll_create1", err)
		}
		if err := syscall.SetNonblock(fd, true); err != nil {
			syscall.Close(fd)
			return nil, err
		}
		ep := os.NewFile(uintptr(fd), "epoll")
		rc, err := ep.SyscallConn()
		if err != nil {
			ep.Close()
			return nil, err
		}
		p := &poller{epfd: fd, ep: ep, rc: rc, byFD: map[int32]*rawStream{}, buf: make([]byte, 64<<10), evs: make([]syscall.EpollEvent, 512)}
		go p.loop()
		out.ps = append(out.ps, p)
	}
	return &out, nil
}

// add hands the connection's socket to a poller, after feeding the parser
// what was already read (head), and returns the stream. The connection is
// closed: the poller reads a duplicate of its descriptor, which Go's
// runtime does not watch (it would wake for every event too).
func (pp *pollers) add(conn net.Conn, head []byte, p *sseParser, on func(*sseEvent)) (*rawStream, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		conn.Close()
		return nil, errors.New("not a socket")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		conn.Close()
		return nil, err
	}
	fd := -1
	var derr error
	if err := rc.Control(func(f uintptr) { fd, derr = syscall.Dup(int(f)) }); err != nil {
		derr = err
	}
	conn.Close()
	if derr != nil {
		return nil, os.NewSyscallError("dup", derr)
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	s := &rawStream{fd: fd, p: p, on: on, ended: make(chan struct{})}
	if len(head) > 0 {
		p.feed(head, on)
	}
	pp.mu.Lock()
	po := pp.ps[pp.next%len(pp.ps)]
	pp.next++
	pp.mu.Unlock()
	po.mu.Lock()
	defer po.mu.Unlock()
	po.byFD[int32(fd)] = s
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(fd)}
	if err := syscall.EpollCtl(po.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		delete(po.byFD, int32(fd))
		syscall.Close(fd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return s, nil
}

// remove stops reading s and closes its socket; s.ended is closed if it was not.
func (pp *pollers) remove(s *rawStream) {
	for _, po := range pp.ps {
		po.mu.Lock()
		if po.byFD[int32(s.fd)] == s {
			po.endLocked(s, nil)
		}
		po.mu.Unlock()
	}
	<-s.ended
	syscall.Close(s.fd)
}

// endLocked takes s out of the set and tells its reader.
func (po *poller) endLocked(s *rawStream, err error) {
	syscall.EpollCtl(po.epfd, syscall.EPOLL_CTL_DEL, s.fd, nil)
	delete(po.byFD, int32(s.fd))
	s.err = err
	close(s.ended)
}

// loop reads the sockets that are ready, for ever.
func (po *poller) loop() {
	for {
		err := po.rc.Read(func(epfd uintptr) bool {
			po.mu.Lock()
			defer po.mu.Unlock()
			n, err := syscall.EpollWait(int(epfd), po.evs, 0)
			if err != nil || n == 0 {
				return err == syscall.EINTR // nothing ready: wait in Go's poller
			}
			for _, ev := range po.evs[:n] {
				if s := po.byFD[ev.Fd]; s != nil {
					po.read(s)
				}
			}
			return true
		})
		if err != nil {
			panic("divvy-load: event stream poller: " + err.Error())
		}
	}
}

// read reads what s's socket holds (one read; level-triggered epoll calls
// again if more is left) and parses it.
func (po *poller) read(s *rawStream) {
	n, err := syscall.Read(s.fd, po.buf)
	switch {
	case n > 0:
		s.p.feed(po.buf[:n], s.on)
	case err == syscall.EAGAIN || err == syscall.EINTR:
	case err != nil:
		po.endLocked(s, os.NewSyscallError("read", err))
	default: // 0: the server closed the stream
		po.endLocked(s, nil)
	}
}
