package handlers

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddresses finds the address of the browser behind a request, for
// rate limits. Behind a router or load balancer every request comes from
// the proxy's address, so the proxy's X-Forwarded-For is read, but only
// when the request comes from a configured trusted proxy (TRUSTED_PROXIES):
// anyone else could write any address in that header.
type clientAddresses struct {
	trusted []netip.Prefix
}

func (c clientAddresses) isTrusted(a netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// of returns the client's address: the TCP peer, or, when the peer is a
// trusted proxy, the nearest address in X-Forwarded-For that is not one
// (read from the right: each proxy appends the address it got the request
// from, and only the trusted ones' additions are believed).
func (c clientAddresses) of(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !c.isTrusted(peer) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // not an address: nothing further left can be believed
		}
		if !c.isTrusted(a) {
			return a.Unmap().String()
		}
		peer = a
	}
	return peer.Unmap().String()
}

type clientAddressKey struct{}

// withClientAddress finds the client's address once per request, for
// clientAddress.
func withClientAddress(addrs clientAddresses, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), clientAddressKey{}, addrs.of(r))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// clientAddress is the address of the browser behind the request (see
// clientAddresses), which rate limits count by.
func clientAddress(r *http.Request) string {
	if a, ok := r.Context().Value(clientAddressKey{}).(string); ok {
		return a
	}
	return clientAddresses{}.of(r)
}
