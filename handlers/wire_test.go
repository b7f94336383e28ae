package handlers_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// countingConn counts the bytes the server sent on a connection.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// wireBrowser fetches like a browser with an HTTP cache: it takes what
// Chromium takes (gzip, br, zstd), keeps each asset's validators and
// freshness, and counts every byte the server sends, headers included.
type wireBrowser struct {
	t      *testing.T
	accept string // Accept-Encoding
	hc     *http.Client
	read   atomic.Int64
	cache  map[string]http.Header // path -> the headers it came with
}

func newWireBrowser(t *testing.T, as *client, accept string) *wireBrowser {
	b := &wireBrowser{t: t, accept: accept, cache: map[string]http.Header{}}
	tr := &http.Transport{DisableCompression: true, MaxConnsPerHost: 1,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{c, &b.read}, nil
		}}
	t.Cleanup(tr.CloseIdleConnections)
	b.hc = &http.Client{Jar: as.hc.Jar, Transport: tr}
	return b
}

// get fetches a path unless the cache holds it fresh; a cached one that
// must be revalidated is asked for with its ETag. It returns the body
// (nil when the cache answered) and the status.
func (b *wireBrowser) get(base, path string) ([]byte, int) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("Accept-Encoding", b.accept)
	if h, ok := b.cache[path]; ok {
		cc := h.Get("Cache-Control")
		if strings.Contains(cc, "immutable") || strings.Contains(cc, "max-age=31536000") {
			return nil, 0 // fresh: no request at all
		}
		if et := h.Get("ETag"); et != "" {
			req.Header.Set("If-None-Match", et)
		}
	}
	res, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	body = decode(b.t, res.Header.Get("Content-Encoding"), body)
	if res.StatusCode == http.StatusOK && !strings.Contains(res.Header.Get("Cache-Control"), "no-store") {
		b.cache[path] = res.Header
	}
	return body, res.StatusCode
}

var reAssets = regexp.MustCompile(`(?:href|src)="(/static/[^"]+|/manifest\.webmanifest|/icon\.svg)"`)

// visit loads a page and what it links to (styles, scripts, icons, the
// manifest), as a browser does, and returns the bytes the server sent.
func (b *wireBrowser) visit(base, page string) int64 {
	b.t.Helper()
	before := b.read.Load()
	body, status := b.get(base, page)
	if status != http.StatusOK {
		b.t.Fatalf("GET %s: status %d", page, status)
	}
	seen := map[string]bool{}
	for _, m := range reAssets.FindAllSubmatch(body, -1) {
		p := string(m[1])
		if seen[p] {
			continue
		}
		seen[p] = true
		if _, status := b.get(base, p); status != 0 && status != http.StatusOK && status != http.StatusNotModified {
			b.t.Fatalf("GET %s: status %d", p, status)
		}
	}
	if len(seen) < 5 {
		b.t.Fatalf("the page links %d assets, want its style, three scripts, icon and manifest", len(seen))
	}
	return b.read.Load() - before
}

// A thread page the size of the load harness's (10 members, 5 splits, 50
// messages) costs at most 40 KB on the wire on a first visit (page, style,
// htmx, scripts, icon, manifest) and at most 8 KB on the next (the page
// again; the fingerprinted files are not asked for, the others answer
// 304). This is a size check, not a timing one.
func TestThreadPageBytesOnTheWire(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	invite := p.org.inviteURL(p.thread)
	people := []string{"Olivia", "Sam", "Léa"}
	guests := []*client{p.sam, p.lea}
	for i := range 7 {
		name := fmt.Sprintf("Friend %d", i+1)
		guests = append(guests, p.app.joinAsGuest(invite, name))
		people = append(people, name)
	}
	var id string
	for _, name := range people {
		p.app.store.SQL().Get(&id, `SELECT id FROM users WHERE display_name = $1`, name)
		p.ids[name] = id
	}
	for i, total := range []string{"47,50", "120,00", "33,30", "86,00", "64,20"} {
		wantStatus(t, "split", p.org.post(p.thread+"/splits", p.splitForm(fmt.Sprintf("Dinner %d", i+1), total, "equal", people...)), http.StatusSeeOther)
	}
	page := p.org.get(p.thread).body
	splits := regexp.MustCompile(`/threads/\d+/splits/\d+`).FindAllString(page, -1)
	paid := 0
	for i, split := range dedupe(splits) {
		for _, g := range []*client{guests[2*i%len(guests)], guests[(2*i+1)%len(guests)]} {
			cash := regexp.MustCompile(regexp.QuoteMeta(split) + `/shares/\d+/cash`).FindString(g.get(p.thread).body)
			if cash == "" {
				t.Fatalf("no 'I paid another way' for %s", split)
			}
			wantStatus(t, "cash", g.post(cash, nil), http.StatusSeeOther)
			wantStatus(t, "confirm", p.org.post(strings.Replace(cash, "/cash", "/confirm", 1), nil), http.StatusSeeOther)
			paid++
		}
	}
	lines := []string{"Who's bringing the drinks?", "I can pick up the pizzas at 8", "Same place as last time?",
		"Running 10 minutes late, sorry!", "Table for 10 booked 👍", "Does anyone have change for the tip?"}
	all := append([]*client{p.org}, guests...)
	for i := strings.Count(p.org.get(p.thread).body, `<li class="msg`); i < 50; i++ {
		wantStatus(t, "message", all[i%len(all)].post(p.thread+"/messages", url.Values{"body": {lines[i%len(lines)]}}), http.StatusSeeOther)
	}
	plain := p.org.get(p.thread).body
	if n := strings.Count(plain, `<li class="msg`); n != 50 {
		t.Fatalf("the thread page shows %d messages, want 50", n)
	}

	// Chromium's Accept-Encoding; then gzip alone (Go's HTTP client, older
	// browsers) and nothing (what went out before compression).
	var first, warm int64
	for _, accept := range []string{"gzip, deflate, br, zstd", "gzip", "identity"} {
		b := newWireBrowser(t, p.org, accept)
		f, w := b.visit(p.app.srv.URL, p.thread), b.visit(p.app.srv.URL, p.thread)
		t.Logf("thread page %d KB uncompressed (%d splits, %d paid in cash), Accept-Encoding %q: first visit %.1f KB, warm %.1f KB on the wire",
			len(plain)/1024, len(dedupe(splits)), paid, accept, float64(f)/1024, float64(w)/1024)
		if accept != "identity" {
			first, warm = max(first, f), max(warm, w)
		}
	}
	if first > 40<<10 {
		t.Errorf("first visit: %d bytes on the wire, want at most 40 KB", first)
	}
	if warm > 8<<10 {
		t.Errorf("warm visit: %d bytes on the wire, want at most 8 KB", warm)
	}
}

// decode undoes a response's Content-Encoding.
func decode(t *testing.T, enc string, body []byte) []byte {
	t.Helper()
	var r io.Reader
	var err error
	switch enc {
	case "":
		return body
	case "gzip":
		r, err = gzip.NewReader(bytes.NewReader(body))
	case "zstd":
		var d *zstd.Decoder
		d, err = zstd.NewReader(bytes.NewReader(body))
		if err == nil {
			defer d.Close()
			r = d
		}
	default:
		t.Fatalf("unexpected Content-Encoding %q", enc)
	}
	if err == nil {
		body, err = io.ReadAll(r)
	}
	if err != nil {
		t.Fatalf("decode %s: %v", enc, err)
	}
	return body
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// rawGet fetches a path as c with an explicit Accept-Encoding, so that the
// answer's encoding is seen as sent.
func (c *client) rawGet(path, accept string, header ...string) response {
	c.app.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.app.srv.URL+path, nil)
	req.Header.Set("Accept-Encoding", accept)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

// Pages, partials and static files are compressed for browsers that take
// it; pages that show a secret token (invite, pay link, QR codes, token
// links) never are (BREACH); static files answer 304 to their ETag.
func TestCompression(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	wantStatus(t, "split", p.org.post(p.thread+"/splits", p.splitForm("Pizza night", "47,50", "equal", "Olivia", "Sam", "Léa")), http.StatusSeeOther)
	page := p.org.get(p.thread).body
	split := regexp.MustCompile(`/threads/\d+/splits/\d+`).FindString(page)

	for _, accept := range []string{"gzip", "gzip, deflate, br, zstd"} {
		res := p.org.rawGet(p.thread, accept)
		wantStatus(t, "thread", res, 200)
		if enc := res.header.Get("Content-Encoding"); enc == "" || !strings.Contains(accept, enc) {
			t.Errorf("thread page with Accept-Encoding %q: Content-Encoding %q", accept, enc)
		}
		if n, err := strconv.Atoi(res.header.Get("Content-Length")); err != nil || n != len(res.body) {
			t.Errorf("compressed thread page: Content-Length %q for a body of %d bytes", res.header.Get("Content-Length"), len(res.body))
		}
		if !strings.Contains(strings.Join(res.header.Values("Vary"), ","), "Accept-Encoding") {
			t.Errorf("thread page: Vary %q lacks Accept-Encoding", res.header.Values("Vary"))
		}
		if got := decode(t, res.header.Get("Content-Encoding"), []byte(res.body)); !bytes.Contains(got, []byte(`data-testid="thread-name"`)) && !bytes.Contains(got, []byte("Pizza Friday")) {
			t.Errorf("thread page decodes to something else:\n%.300s", got)
		}
	}
	if res := p.org.rawGet(p.thread, "identity"); res.header.Get("Content-Encoding") != "" {
		t.Errorf("identity asked, Content-Encoding %q sent", res.header.Get("Content-Encoding"))
	}

	invite := p.org.inviteURL(p.thread)
	for _, path := range []string{p.thread + "/invite", p.thread + "/invite/qr.svg", split, split + "/qr.svg", invite} {
		res := p.app.client().rawGet(path, "gzip")
		if path != invite {
			res = p.org.rawGet(path, "gzip, deflate, br, zstd")
		}
		wantStatus(t, path, res, 200)
		if enc := res.header.Get("Content-Encoding"); enc != "" {
			t.Errorf("%s shows a token but went out with Content-Encoding %q", path, enc)
		}
		if len(res.header.Values("No-Gzip-Compression")) > 0 {
			t.Errorf("%s: the internal no-compression mark leaked out", path)
		}
	}

	css := regexp.MustCompile(`/static/[0-9a-f]{12}/app\.css`).FindString(page)
	res := p.org.rawGet(css, "gzip")
	wantStatus(t, "css", res, 200)
	etag := res.header.Get("ETag")
	if res.header.Get("Content-Encoding") != "gzip" || etag == "" || !strings.Contains(res.header.Get("Cache-Control"), "immutable") {
		t.Errorf("css: Content-Encoding %q, ETag %q, Cache-Control %q; want gzip, an ETag, immutable",
			res.header.Get("Content-Encoding"), etag, res.header.Get("Cache-Control"))
	}
	if got := decode(t, "gzip", []byte(res.body)); !bytes.Equal(got, []byte(p.org.rawGet(css, "identity").body)) {
		t.Errorf("gzipped css differs from the file")
	}
	wantStatus(t, "css revalidated", p.org.rawGet(css, "gzip", "If-None-Match", etag), http.StatusNotModified)
	manifest := p.org.rawGet("/manifest.webmanifest", "identity")
	wantStatus(t, "manifest revalidated", p.org.rawGet("/manifest.webmanifest", "identity", "If-None-Match", manifest.header.Get("ETag")), http.StatusNotModified)
}
