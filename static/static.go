// Package static embeds Divvy's CSS, vendored htmx, icons and manifest, and
// serves them under fingerprinted paths so browsers may cache them forever,
// gzipped once when first asked for.
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

//go:embed *.css *.js *.svg *.webmanifest vendor
var files embed.FS

// fingerprints maps a file's name to the first hex digits of its SHA-256.
var fingerprints = func() map[string]string {
	m := map[string]string{}
	fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := files.ReadFile(p)
		h := sha256.Sum256(b)
		m[p] = hex.EncodeToString(h[:])[:12]
		return nil
	})
	return m
}()

// Path returns the URL of an embedded file, fingerprinted with its content
// hash: /static/<hash>/<name>. It panics on a name that is not embedded, so
// a typo fails the first test that renders the page.
func Path(name string) string {
	h, ok := fingerprints[name]
	if !ok {
		panic("static: no file " + name)
	}
	return "/static/" + h + "/" + name
}

// gzipped holds each file compressed at the best level, made on first use
// (a few milliseconds, once per process): htmx goes out as 17 KB, not 52.
var gzipped = sync.OnceValue(func() map[string][]byte {
	m := map[string][]byte{}
	for name := range fingerprints {
		b, _ := files.ReadFile(name)
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(b)
		zw.Close()
		if buf.Len() < len(b) {
			m[name] = buf.Bytes()
		}
	}
	return m
})

// Handler serves GET /static/{hash}/{name...}. A current hash is cached for a
// year as immutable; a stale one (a page from before a deploy) still gets the
// file, uncached. Each answer carries the content hash as its ETag, so a
// browser revalidating gets 304 and no body; browsers that take gzip get the
// precompressed bytes.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hash, name := r.PathValue("hash"), r.PathValue("name")
		b, err := files.ReadFile(name)
		if err != nil || strings.HasSuffix(name, "/") {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
			h.Set("Content-Type", ct)
		}
		if strings.HasSuffix(name, ".webmanifest") {
			h.Set("Content-Type", "application/manifest+json")
		}
		if fingerprints[name] == hash {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		gz, compressed := gzipped()[name]
		if compressed {
			h.Set("Vary", "Accept-Encoding")
		}
		etag := `"` + fingerprints[name] + `"`
		if compressed && AcceptsGzip(r) {
			b, etag = gz, `"`+fingerprints[name]+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
		h.Set("ETag", etag)
		if matches(r.Header.Get("If-None-Match"), fingerprints[name]) {
			h.Del("Content-Type")
			h.Del("Content-Encoding")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Length", strconv.Itoa(len(b)))
		if r.Method == http.MethodHead {
			return
		}
		w.Write(b)
	})
}

// AcceptsGzip says whether the request's Accept-Encoding takes gzip (and
// does not refuse it with q=0).
func AcceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				continue
			}
			q := strings.ReplaceAll(params, " ", "")
			return !(q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000")
		}
	}
	return false
}

// matches says whether an If-None-Match header names either form of the
// file (plain or gzipped: the same content).
func matches(inm, fingerprint string) bool {
	if inm == "" {
		return false
	}
	for _, t := range strings.Split(inm, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == `"`+fingerprint+`"` || t == `"`+fingerprint+`-gz"` {
			return true
		}
	}
	return false
}

// File serves one embedded file at a fixed, unfingerprinted URL (the web
// manifest and icon, whose URLs other files name), revalidated on each use.
func File(name string) http.Handler {
	if _, ok := fingerprints[name]; !ok {
		panic("static: no file " + name)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.SetPathValue("hash", "")
		r.SetPathValue("name", name)
		Handler().ServeHTTP(w, r)
	})
}
