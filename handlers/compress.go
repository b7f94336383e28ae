package handlers

import (
	"net/http"

	"github.com/klauspost/compress/gzhttp"
	"github.com/klauspost/compress/gzip"
)

// compressedTypes are the answers worth compressing: pages and htmx
// partials, styles, scripts, icons, JSON. Event streams are not among them:
// their handler takes the connection over and writes each event as it comes.
var compressedTypes = []string{"text/html", "text/css", "text/javascript", "application/javascript",
	"image/svg+xml", "application/json", "application/manifest+json", "text/plain"}

// compress gzips answers of those types on the fly: a thread page of 38 KB
// goes out as about 5 KB. Static files come precompressed (Content-Encoding
// already set) and pass through untouched.
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
