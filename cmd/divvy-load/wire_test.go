package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// wireBytes counts a first visit whole, and on the warm one skips the
// immutable files and revalidates the others by ETag.
func TestWireBytes(t *testing.T) {
	var asked []string
	page := `<link href="/static/abc/app.css"><script src="/static/abc/app.js"></script><script src="/static/abc/b.js"></script>` +
		`<link rel="manifest" href="/manifest.webmanifest"><img src="/icon.svg">` + strings.Repeat("x", 5000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.Path)
		switch {
		case r.URL.Path == "/page":
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Content-Encoding", "gzip")
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write([]byte(page))
			zw.Close()
			w.Write(b.Bytes())
		case strings.HasPrefix(r.URL.Path, "/static/"):
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			w.Write([]byte(strings.Repeat("s", 1000)))
		default:
			w.Header().Set("ETag", `"e"`)
			if r.Header.Get("If-None-Match") == `"e"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Write([]byte(strings.Repeat("m", 1000)))
		}
	}))
	defer srv.Close()
	h := &harness{}
	first, warm, err := h.wireBytes(context.Background(), newSite(srv.URL, 5*time.Second), nil, "/page")
	if err != nil {
		t.Fatal(err)
	}
	if want := "/page /static/abc/app.css /static/abc/app.js /static/abc/b.js /manifest.webmanifest /icon.svg /page /manifest.webmanifest /icon.svg"; strings.Join(asked, " ") != want {
		t.Errorf("asked for %v: want the page and its 5 files, then the page and the 2 revalidated files", asked)
	}
	if first < 5000 || first > 8000 || warm >= first/2 {
		t.Errorf("first visit %d bytes, warm %d: want 5-8 KB then much less", first, warm)
	}
}
