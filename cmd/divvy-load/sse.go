package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"time"
)

// sseEvent is one dispatched Server-Sent Event.
type sseEvent struct {
	Name string // "message" when the stream named none
	Data []byte // data lines joined with "\n"; valid until the next line is parsed
	id   []byte // the last event id at dispatch; see ID
}

// ID is the last event id at dispatch, as EventSource keeps it.
func (e *sseEvent) ID() string { return string(e.id) }

// sseParser interprets the lines of a text/event-stream the way
// EventSource does (the WHATWG HTML "event stream interpretation"), with as
// little copying and allocation as a load generator reading thousands of
// streams can afford: an event costs no allocation once the buffers have
// grown. Lines come from sseReader (pulled from an io.Reader) or from feed
// (bytes pushed as a socket gives them).
type sseParser struct {
	data    []byte
	name    string
	lastID  []byte
	ev      sseEvent
	partial []byte // feed: the start of a line whose end has not come yet
	// Retry is the reconnection delay the server asked for (0 if none).
	Retry time.Duration
}

// LastID is the id a reconnection sends as Last-Event-ID.
func (s *sseParser) LastID() string { return string(s.lastID) }

// eventName is a field's value as a string, without allocating for the
// names Divvy sends.
func eventName(v []byte) string {
	switch string(v) {
	case "split":
		return "split"
	case "message":
		return "message"
	case "reload":
		return "reload"
	case "members":
		return "members"
	case "balances":
		return "balances"
	case "splits":
		return "splits"
	}
	return string(v)
}

// line interprets one line (without its end) and returns the event it
// dispatches, if any: valid until the next line. Comments and events with
// no data are skipped.
func (s *sseParser) line(line []byte) *sseEvent {
	if len(line) == 0 {
		if len(s.data) == 0 {
			s.name = ""
			return nil
		}
		s.ev = sseEvent{id: s.lastID, Name: s.name, Data: bytes.TrimSuffix(s.data, []byte{'\n'})}
		if s.ev.Name == "" {
			s.ev.Name = "message"
		}
		s.data, s.name = s.data[:0], ""
		return &s.ev
	}
	if line[0] == ':' {
		return nil // comment: ": connected", ": ping"
	}
	field, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		field, value = line[:i], line[i+1:]
		value = bytes.TrimPrefix(value, []byte{' '})
	}
	switch string(field) {
	case "event":
		s.name = eventName(value)
	case "data":
		// The buffer is reused from event to event: the caller was
		// told Data is valid until the next line.
		s.data = append(s.data, value...)
		s.data = append(s.data, '\n')
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			// A fresh slice when it changes: an event dispatched
			// before keeps the id it had.
			if !bytes.Equal(value, s.lastID) {
				s.lastID = append([]byte(nil), value...)
			}
		}
	case "retry":
		if n, err := strconv.Atoi(string(value)); err == nil && n >= 0 {
			s.Retry = time.Duration(n) * time.Millisecond
		}
	}
	return nil
}

// feed interprets bytes as they come from the stream, calling on for each
// event they complete (ev valid during the call). A line cut between two
// feeds waits in partial for its end.
func (s *sseParser) feed(p []byte, on func(*sseEvent)) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.partial = append(s.partial, p...)
			return
		}
		line := p[:i]
		p = p[i+1:]
		if len(s.partial) > 0 {
			s.partial = append(s.partial, line...)
			line = s.partial
		}
		if ev := s.line(bytes.TrimSuffix(line, []byte{'\r'})); ev != nil {
			on(ev)
		}
		s.partial = s.partial[:0]
	}
}

// sseReader pulls the lines of an event stream from a reader.
type sseReader struct {
	sseParser
	r    *bufio.Reader
	long []byte // a line longer than the bufio buffer, reassembled
}

func newSSEReader(r io.Reader, size int) *sseReader {
	return &sseReader{r: bufio.NewReaderSize(r, size)}
}

// Next returns the next event, or the reader's error (io.EOF when the
// stream ended). Comments and events with no data are skipped.
func (s *sseReader) Next() (*sseEvent, error) {
	for {
		line, err := s.readLine()
		if err != nil {
			return nil, err
		}
		if ev := s.line(line); ev != nil {
			return ev, nil
		}
	}
}

// readLine returns the next line without its end (\n, \r\n); the slice is
// valid until the next read.
func (s *sseReader) readLine() ([]byte, error) {
	line, err := s.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		s.long = append(s.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = s.r.ReadSlice('\n')
			s.long = append(s.long, line...)
		}
		line = s.long
	}
	if err != nil {
		if errors.Is(err, io.EOF) && len(line) > 0 {
			err = io.ErrUnexpectedEOF // a stream cut mid-line
		}
		return nil, err
	}
	line = line[:len(line)-1]
	return bytes.TrimSuffix(line, []byte{'\r'}), nil
}
