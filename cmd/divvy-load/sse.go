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
	ID   string // the last event id at dispatch, as EventSource keeps it
	Name string // "message" when the stream named none
	Data []byte // data lines joined with "\n"; valid until the next Next
}

// sseReader parses a text/event-stream the way EventSource does (the
// WHATWG HTML "event stream interpretation"), with as little copying as a
// load generator reading thousands of streams can afford.
type sseReader struct {
	r      *bufio.Reader
	long   []byte // a line longer than the bufio buffer, reassembled
	data   []byte
	name   string
	lastID string
	ev     sseEvent
	// Retry is the reconnection delay the server asked for (0 if none).
	Retry time.Duration
}

func newSSEReader(r io.Reader, size int) *sseReader {
	return &sseReader{r: bufio.NewReaderSize(r, size)}
}

// LastID is the id a reconnection sends as Last-Event-ID.
func (s *sseReader) LastID() string { return s.lastID }

// Next returns the next event, or the reader's error (io.EOF when the
// stream ended). Comments and events with no data are skipped.
func (s *sseReader) Next() (*sseEvent, error) {
	for {
		line, err := s.readLine()
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			if len(s.data) == 0 {
				s.name = ""
				continue
			}
			s.ev = sseEvent{ID: s.lastID, Name: s.name, Data: bytes.TrimSuffix(s.data, []byte{'\n'})}
			if s.ev.Name == "" {
				s.ev.Name = "message"
			}
			s.data, s.name = s.data[:0], ""
			return &s.ev, nil
		}
		if line[0] == ':' {
			continue // comment: ": connected", ": ping"
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			value = bytes.TrimPrefix(value, []byte{' '})
		}
		switch string(field) {
		case "event":
			s.name = string(value)
		case "data":
			// The buffer is reused from event to event: the caller was
			// told Data is valid until the next Next.
			s.data = append(s.data, value...)
			s.data = append(s.data, '\n')
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				s.lastID = string(value)
			}
		case "retry":
			if n, err := strconv.Atoi(string(value)); err == nil && n >= 0 {
				s.Retry = time.Duration(n) * time.Millisecond
			}
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
