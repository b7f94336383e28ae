package handlers

import (
	"bytes"
	"net/http"
	"sync"

	"github.com/klauspost/compress/gzhttp"
	"github.com/klauspost/compress/gzip"

	"divvy/static"
)

// compressedTypes are the answers worth compressing: pages and htmx
// partials, styles, scripts, icons, JSON. Event streams are not among them:
// their handler takes the connection over and writes each event as it comes.
var compressedTypes = []string{"text/html", "text/css", "text/javascript", "application/javascript",
	"image/svg+xml", "application/json", "application/manifest+json", "text/plain"}

// compress gzips answers of those types on the fly: a thread page of 38 KB
// goes out as about 5 KB. Static files come precompressed and pages
// compressed whole by render (Content-Encoding already set): they pass
// through untouched; the rest (partials written in pieces, JSON, QR codes)
// is compressed as it is written.
//
// Stateless compression keeps no tables between writes: measured on a
// 38 KB thread page (go test -bench in the commit that chose it), it costs
// 82-117 µs and no memory kept, against 230-260 µs and a pooled writer of
// 0.8 MB each at level 1 (zstd: 84-134 µs, 0.4 MB each), for 4 740 bytes
// against 4 622 (zstd 3 872). Pages are written in one piece (see render),
// so little is lost by not keeping state, and the server's memory stays
// flat under load.
//
// BREACH: an attacker who can put text of their choosing into a page that
// also carries a secret, and watch the compressed size across many
// requests, can guess the secret. Divvy has no CSRF token (cross-origin
// posts are refused by Origin), sessions live in cookies, not in pages, and
// a payment id is no secret (it is scoped to its payer). The pages that do
// show a secret (an invite or pay link token, a password reset token) are
// sent uncompressed: see uncompressed.
func compress(next http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.ContentTypes(compressedTypes), gzhttp.CompressionLevel(gzip.StatelessCompression),
		gzhttp.EnableZstd(false))
	if err != nil {
		panic(err)
	}
	return wrap(next)
}

// uncompressed marks the answer as one to send as is (a page that carries
// a secret token next to text others chose).
func uncompressed(w http.ResponseWriter) {
	w.Header().Set(gzhttp.HeaderNoCompression, "1")
}

// gzipWriters are stateless gzip writers: a few hundred bytes each.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.StatelessCompression)
	return zw
}}

// gzipWhole returns a whole answer's body gzipped into out, with its
// Content-Encoding set, when the browser takes gzip and the answer may be
// compressed; else body as it is. Compressing the whole page at once keeps
// its length known and its one write (the compress middleware streams in
// chunks). Measured in one sitting, divvy-load -quick -duration 5s -run page,
// three interleaved runs each (-server-bin): server CPU per thread page
// 0.94-1.06 ms, 416-513 pages/s, against 0.88-1.18 ms, 305-400 pages/s
// uncompressed and 0.99-1.28 ms, 289-483 pages/s through the streaming
// middleware (the machine is shared: the spread is noise; compressing whole
// costs no page rate this could measure).
func gzipWhole(w http.ResponseWriter, r *http.Request, body []byte, out *bytes.Buffer) []byte {
	h := w.Header()
	if len(body) < gzhttp.DefaultMinSize || len(h[gzhttp.HeaderNoCompression]) > 0 || h.Get("Content-Encoding") != "" || !static.AcceptsGzip(r) {
		return body
	}
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(out)
	if _, err := zw.Write(body); err != nil {
		return body
	}
	if err := zw.Close(); err != nil {
		return body
	}
	h.Set("Content-Encoding", "gzip")
	return out.Bytes()
}
