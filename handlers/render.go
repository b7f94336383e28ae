package handlers

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/a-h/templ"

	"divvy/db"
	"divvy/views"
)

// render writes a component as the response with status. Pages are private
// and change with every payment, so nothing is cached.
//
// The page is rendered into a buffer and sent in one write with its length
// (gzipped whole first, for browsers that take it: see gzipWhole): written
// straight to the connection, a thread page went out in a dozen chunks, a
// system call each.
func render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Cookie")
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	b := renderBuffers.Get().(*bytes.Buffer)
	defer putRenderBuffer(b)
	b.Reset()
	if err := c.Render(r.Context(), b); err != nil {
		if r.Context().Err() != nil {
			w.WriteHeader(statusClientGone)
			return
		}
		http.Error(w, "The page could not be shown. Please try again.", http.StatusInternalServerError)
		return
	}
	z := renderBuffers.Get().(*bytes.Buffer)
	defer putRenderBuffer(z)
	z.Reset()
	body := gzipWhole(w, r, b.Bytes(), z)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// statusClientGone is the access log's status for a request whose browser
// left before the answer (nginx's 499); nobody reads it.
const statusClientGone = 499

var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putRenderBuffer keeps page-sized buffers for reuse, but not the rare huge
// one, which would otherwise stay allocated for good.
func putRenderBuffer(b *bytes.Buffer) {
	if b.Cap() <= 256<<10 {
		renderBuffers.Put(b)
	}
}

// layout is the frame every page shares, built from the request.
// noticeKeys are the notices a redirect may ask a page to show.
var noticeKeys = map[string]bool{"remind.thread_only": true, "paychange.card_done": true, "paychange.pin_done": true,
	"split.newcomers_added": true, "paylink.ask_collector": true,
	"remind.all_done": true, "remind.all_none": true, "split.edit_saved": true, "members.left": true, "members.removed": true}

func layout(r *http.Request, title string) views.Layout {
	l := views.Layout{Title: title, Path: r.URL.RequestURI()}
	l.DevOutbox, _ = r.Context().Value(devOutboxKey).(bool)
	// A redirect after an action may carry a notice, by key: only keys
	// made for it, so a link cannot put any words on a page.
	if key := r.URL.Query().Get("notice"); noticeKeys[key] {
		l.Notice = views.T(r.Context(), key)
	}
	if u := currentUser(r); u != nil {
		l.User = &views.Viewer{Name: u.DisplayName, IsGuest: u.IsGuest}
	}
	return l
}

// renderError writes an error page (or, for htmx, a fragment-sized one) in
// the reader's language. key is a message key or a ready sentence.
func renderError(w http.ResponseWriter, r *http.Request, status int, key string) {
	msg := key
	if views.HasKey(key) {
		msg = views.T(r.Context(), key)
	}
	if r.Header.Get("HX-Request") == "true" {
		// Let htmx swap error fragments into a visible place instead of
		// silently dropping a 4xx.
		w.Header().Set("HX-Retarget", "#flash")
		w.Header().Set("HX-Reswap", "innerHTML")
		render(w, r, status, views.Flash(msg))
		return
	}
	render(w, r, status, views.Error(layout(r, views.T(r.Context(), "error.title")), views.ErrorPage{Status: status, Message: msg}))
}

// fail answers with the status and sentence that err's code calls for. Only
// internal errors are logged with detail; people see a sentence they can act on.
func fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := db.ErrorCode(err)
	status := map[string]int{
		db.ECONFLICT:     http.StatusConflict,
		db.EINVALID:      http.StatusUnprocessableEntity,
		db.ENOTFOUND:     http.StatusNotFound,
		db.EUNAUTHORIZED: http.StatusUnauthorized,
		db.EFORBIDDEN:    http.StatusForbidden,
		db.ETOOMANY:      http.StatusTooManyRequests,
		db.EUNAVAILABLE:  http.StatusServiceUnavailable,
		db.EDECLINED:     http.StatusPaymentRequired,
		db.EINSUFFICIENT: http.StatusUnprocessableEntity,
		db.ELIMIT:        http.StatusUnprocessableEntity,
	}[code]
	if status == 0 && db.Canceled(err) && r.Context().Err() != nil {
		// The browser left (or gave up) before the answer was ready.
		log.Info("client went away", "request_id", infoOf(r.Context()).id, "method", r.Method, "err", err)
		w.WriteHeader(statusClientGone)
		return
	}
	if status == 0 && db.Unavailable(err) {
		log.Warn("database unavailable", "request_id", infoOf(r.Context()).id, "method", r.Method, "err", err)
		renderUnavailable(w, r)
		return
	}
	if status == 0 {
		log.Error("internal error", "request_id", infoOf(r.Context()).id, "method", r.Method, "err", err)
		renderError(w, r, http.StatusInternalServerError, "error.500")
		return
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfterOutage)
	}
	if code == db.ENOTFOUND {
		renderError(w, r, status, "error.404")
		return
	}
	renderError(w, r, status, views.ErrorText(r.Context(), err))
}

// retryAfterOutage is how many seconds a browser is asked to wait while the
// database is away or full; the app reconnects by itself within a second of
// its return.
const retryAfterOutage = "5"

// renderUnavailable answers 503 while the database cannot be reached, and
// says what became of the request: a payment was not made (or, if its card
// was charged, is being checked), any other change was not made.
func renderUnavailable(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", retryAfterOutage)
	key := "error.503.db"
	switch {
	case r.Method == http.MethodPost && (strings.HasSuffix(r.URL.Path, "/pay") || strings.HasPrefix(r.URL.Path, "/pay/")):
		key = "error.503.pay"
	case r.Method == http.MethodPost:
		key = "error.503.change"
	}
	renderError(w, r, http.StatusServiceUnavailable, key)
}

// parseForm reads a form body; a body too large or malformed is answered
// here (413 or 400) and ok is false. So is text PostgreSQL cannot store (a
// NUL byte, bytes that are not UTF-8), in any field: 422, before any
// handler could try to write it.
func parseForm(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		if _, tooBig := err.(*http.MaxBytesError); tooBig {
			renderError(w, r, http.StatusRequestEntityTooLarge, "error.413")
		} else {
			renderError(w, r, http.StatusBadRequest, "error.400")
		}
		return false
	}
	for k, vs := range r.Form {
		for _, v := range append(vs, k) {
			if !storable(v) {
				renderError(w, r, http.StatusUnprocessableEntity, "error.422.text")
				return false
			}
		}
	}
	return true
}

// storable reports text a PostgreSQL text column takes: valid UTF-8
// without NUL.
func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// localPath returns next if it is a plain path on this site, else "/":
// redirects after login never leave Divvy. It judges the path as
// http.Redirect will send it, after cleaning (/./\x would become /\x, which
// browsers read as //x), and refuses backslashes, control characters and
// encoded slashes outright: no plain local path needs them.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.ContainsAny(next, "\\") || strings.ContainsFunc(next, isControl) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	if strings.ContainsAny(u.Path, "\\") || strings.Contains(strings.ToLower(u.RawPath), "%2f") {
		return "/"
	}
	clean := path.Clean(u.Path)
	if !strings.HasPrefix(clean, "/") || strings.HasPrefix(clean, "//") {
		return "/"
	}
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	out := (&url.URL{Path: clean, RawQuery: u.RawQuery}).String()
	if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") {
		return "/"
	}
	return out
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
