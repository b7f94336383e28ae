package handlers

import (
	"net/http"
	"net/url"

	"divvy/views"
)

// scanPermissions lets the Scan page (and only it) use the camera; every
// other page keeps camera=() from securityHeaders.
const scanPermissions = "camera=(self), microphone=(), geolocation=()"

// handleScan shows the Scan page: the camera reads QR codes in the browser
// (static/scan.js) and opens those that are Divvy's own links, on the
// origin of baseURL; the rest are shown as text. Anyone may open it: a
// friend signed out scans a pay link as well.
func handleScan(baseURL string) http.Handler {
	origin := baseURL
	if u, err := url.Parse(baseURL); err == nil && u.Scheme != "" && u.Host != "" {
		origin = u.Scheme + "://" + u.Host
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Permissions-Policy", scanPermissions)
		render(w, r, http.StatusOK, views.ScanPage(layout(r, views.T(r.Context(), "scan.title")), views.ScanView{Base: origin}))
	})
}
