package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
)

// chromiumEncodings is what Chromium puts in Accept-Encoding.
const chromiumEncodings = "gzip, deflate, br, zstd"

// wireCounter counts the bytes a server sends on a connection.
type wireCounter struct {
	net.Conn
	n *atomic.Int64
}

func (c wireCounter) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.n.Add(int64(n))
	return n, err
}

var reAssetLinks = regexp.MustCompile(`(?:href|src)="(/static/[^"]+|/manifest\.webmanifest|/icon\.svg)"`)

// wireBytes measures what a browser with an HTTP cache receives for a page
// and what it links to (styles, scripts, icons, manifest): on a first visit
// (empty cache) and on the next (fresh files not asked for, the others
// revalidated by ETag), headers included. It asks with gzip alone, which
// the harness can decode (Chromium also takes zstd and br: its figures are
// at most these).
func (h *harness) wireBytes(ctx context.Context, s *site, b *browser, path string) (first, warm int64, err error) {
	var read atomic.Int64
	tr := &http.Transport{DisableCompression: true, MaxConnsPerHost: 1,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return wireCounter{c, &read}, nil
		}}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	cache := map[string]http.Header{}
	get := func(p string) ([]byte, error) {
		req, err := s.newRequest(ctx, b, http.MethodGet, p, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept-Encoding", "gzip")
		if hd, ok := cache[p]; ok {
			if strings.Contains(hd.Get("Cache-Control"), "immutable") {
				return nil, nil
			}
			if et := hd.Get("ETag"); et != "" {
				req.Header.Set("If-None-Match", et)
			}
		}
		res, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			return nil, err
		}
		if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusNotModified {
			return nil, fmt.Errorf("GET %s: status %d", route(p), res.StatusCode)
		}
		if res.StatusCode == http.StatusOK && !strings.Contains(res.Header.Get("Cache-Control"), "no-store") {
			cache[p] = res.Header
		}
		if res.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				return nil, err
			}
			return io.ReadAll(zr)
		}
		return body, nil
	}
	visit := func() (int64, error) {
		before := read.Load()
		body, err := get(path)
		if err != nil {
			return 0, err
		}
		seen := map[string]bool{}
		for _, m := range reAssetLinks.FindAllSubmatch(body, -1) {
			if p := string(m[1]); !seen[p] {
				seen[p] = true
				if _, err := get(p); err != nil {
					return 0, err
				}
			}
		}
		if len(seen) < 4 {
			return 0, fmt.Errorf("GET %s: the page links %d files (style, scripts, icon, manifest?)", route(path), len(seen))
		}
		return read.Load() - before, nil
	}
	if first, err = visit(); err != nil {
		return 0, 0, err
	}
	warm, err = visit()
	return first, warm, err
}

// viewPage GETs a thread page as a browser does, compressed, and checks it
// shows 50 messages. A browser's inflating costs the browser's machine; here
// it would cost the cores the server is measured on, so only every
// checkEvery-th view (and the first of each worker) is inflated and checked.
// It returns the latency and the page's size inflated (0 when unchecked).
func (s *site) viewPage(ctx context.Context, b *browser, path string, check bool) (time.Duration, int, error) {
	req, err := s.newRequest(ctx, b, http.MethodGet, path, nil)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Accept-Encoding", "gzip")
	start := time.Now()
	res, err := s.client.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("GET %s: %w", route(path), err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	lat := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("GET %s: read: %w", route(path), err)
	}
	if res.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("GET %s: status %d, want 200", route(path), res.StatusCode)
	}
	if !check {
		return lat, 0, nil
	}
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err == nil {
			body, err = io.ReadAll(zr)
		}
		if err != nil {
			return 0, 0, fmt.Errorf("GET %s: gunzip: %w", route(path), err)
		}
	}
	if n := messagesOn(body); n != 50 {
		return 0, 0, fmt.Errorf("GET %s: %d messages on the page, want 50%s", route(path), n, pageSays(body))
	}
	return lat, len(body), nil
}

// checkEvery is how often a page view is inflated and checked.
const checkEvery = 16
