package handlers

import (
	"context"
	"strings"
	"sync"

	"divvy/db"
	"divvy/views"
)

// Messages other than split cards never change once posted: their HTML
// depends only on the message, the reader's language and whether the
// reader wrote it and the reader's time zone (and, for money sent that
// waited for its recipient, where it stands now). A thread page shows fifty,
// so each is rendered once per language, zone and author-or-not and kept. Split cards change with every payment and are drawn per request.
type messageCache struct {
	mu sync.Mutex
	m  map[messageKey]string
}

// messageKey names a rendered message. The store is part of it: message
// ids are per database (tests run many at once).
type messageKey struct {
	store  *db.DB
	id     int64
	locale string
	zone   string
	mine   bool
	title  string // of the split a payment or reminder is about, when known
	send   string // where a send that waited stands (db.SendWaiting...), "" for other messages
}

// maxRenderedMessages bounds the memory (about 300 bytes each); when full,
// the cache starts again.
const maxRenderedMessages = 100_000

var renderedMessages = &messageCache{m: map[messageKey]string{}}

// get returns the message's HTML for the reader, rendering it the first
// time; false if it could not be rendered. title is the title of the split
// the message is about, when that split is at hand ("" otherwise).
func (c *messageCache) get(ctx context.Context, store *db.DB, m db.Message, me int64, locale, title, send string) (string, bool) {
	k := messageKey{store, m.ID, locale, views.Zone(ctx).String(), m.AuthorID != nil && *m.AuthorID == me, title, send}
	c.mu.Lock()
	html, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return html, true
	}
	it := messageItem(ctx, m, me)
	it.Suggest = nil // the reader's own, added by the caller
	it.SendState = send
	if title != "" {
		it.Title = title
	}
	var b strings.Builder
	if err := views.Message(it).Render(ctx, &b); err != nil {
		return "", false
	}
	html = b.String()
	c.mu.Lock()
	if len(c.m) >= maxRenderedMessages {
		clear(c.m)
	}
	c.m[k] = html
	c.mu.Unlock()
	return html, true
}
