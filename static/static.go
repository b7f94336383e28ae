// Package static embeds Divvy's CSS, vendored htmx, icons and manifest, and
// serves them under fingerprinted paths so browsers may cache them forever.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
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

// Handler serves GET /static/{hash}/{name...}. A current hash is cached for a
// year as immutable; a stale one (a page from before a deploy) still gets the
// file, uncached.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hash, name := r.PathValue("hash"), r.PathValue("name")
		b, err := files.ReadFile(name)
		if err != nil || strings.HasSuffix(name, "/") {
			http.NotFound(w, r)
			return
		}
		if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		if strings.HasSuffix(name, ".webmanifest") {
			w.Header().Set("Content-Type", "application/manifest+json")
		}
		if fingerprints[name] == hash {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		w.Write(b)
	})
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
