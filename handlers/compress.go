package handlers

import (
	"net/http"

	"github.com/klauspost/compress/gzhttp"
)

// compressedTypes are the answers worth compressing: pages and htmx
// partials, styles, scripts, icons, JSON. Event streams are not among them:
// their handler takes the connection over and writes each event as it comes.
var compressedTypes = []string{"text/html", "text/css", "text/javascript", "application/javascript",
	"image/svg+xml", "application/json", "application/manifest+json", "text/plain"}

// compress gzips (or, for browsers that take it, zstd-compresses) answers of
// those types on the fly, at a fast level: a thread page of 94 KB goes out
// as about 6 KB. Static files come precompressed (Content-Encoding already
// set) and pass through untouched.
//
// BREACH: an attacker who can put text of their choosing into a page that
// also carries a secret, and watch the compressed size across many
// requests, can guess the secret. Divvy has no CSRF token (cross-origin
// posts are refused by Origin), sessions live in cookies, not in pages, and
// a payment id is no secret (it is scoped to its payer). The pages that do
// show a secret (an invite or pay link token, a password reset token) are
// sent uncompressed: see uncompressed.
func compress(next http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.ContentTypes(compressedTypes), gzhttp.CompressionLevel(1))
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
