package views

import (
	"context"
	"strings"
)

// DeviceName sums a User-Agent up for a person: "Firefox on Android".
// Browsers lie in their User-Agent (every one claims Mozilla, Chrome claims
// Safari, Edge claims Chrome), so the most specific marks are tried first.
func DeviceName(ctx context.Context, userAgent string) string {
	browser := firstMark(userAgent, []mark{
		{"Edg", "Edge"}, {"OPR/", "Opera"}, {"SamsungBrowser", "Samsung Internet"},
		{"FxiOS", "Firefox"}, {"Firefox/", "Firefox"}, {"CriOS", "Chrome"},
		{"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"},
	})
	system := firstMark(userAgent, []mark{
		{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"}, {"CrOS", "ChromeOS"},
		{"Windows", "Windows"}, {"Macintosh", "macOS"}, {"Mac OS X", "macOS"}, {"Linux", "Linux"},
	})
	switch {
	case browser != "" && system != "":
		return T(ctx, "device.on", browser, system)
	case browser != "":
		return browser
	case system != "":
		return T(ctx, "device.browser_on", system)
	}
	return T(ctx, "device.unknown")
}

type mark struct{ in, name string }

func firstMark(s string, marks []mark) string {
	for _, m := range marks {
		if strings.Contains(s, m.in) {
			return m.name
		}
	}
	return ""
}
