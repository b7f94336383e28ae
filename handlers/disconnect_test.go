package handlers_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a log destination the server's goroutines share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A browser that goes away in the middle of a request (here: while its
// password is hashed at sign-up) is not an error of the server's: it is
// logged quietly, not at ERROR as "internal error: context canceled".
func TestClientDisconnectLoggedQuietly(t *testing.T) {
	var logs lockedBuffer
	app := newAppLogged(t, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	for i := range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Millisecond)
		form := url.Values{"name": {"Sam"}, "email": {"sam" + string(rune('a'+i)) + "@example.com"}, "password": {"correct horse"}}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, app.srv.URL+"/signup", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
		cancel()
	}
	// The server finishes each abandoned request after its client left.
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(logs.String(), `"msg":"request"`) < 5 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	out := logs.String()
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, `"level":"ERROR"`) {
			t.Errorf("a client that went away was logged as an error: %s", line)
		}
	}
	if !strings.Contains(out, "client went away") {
		t.Errorf("no quiet line for the abandoned requests:\n%s", out)
	}
}
