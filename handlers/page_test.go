package handlers_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// A thread page goes out whole, with its length, and its live stream starts
// after the thread's latest event.
func TestThreadPageSentWhole(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	wantStatus(t, "create", p.org.post(p.thread+"/splits", p.splitForm("Pizza night", "30", "equal", "Olivia", "Sam", "Léa")), http.StatusSeeOther)
	split := regexp.MustCompile(`/threads/\d+/splits/\d+`).FindString(p.org.get(p.thread).body)
	var share string
	p.app.store.SQL().Get(&share, `SELECT s.id FROM shares s JOIN users u ON u.id = s.user_id WHERE u.display_name = 'Sam'`)
	wantStatus(t, "Sam claims cash", p.sam.post(split+"/shares/"+share+"/cash", nil), http.StatusSeeOther)
	wantStatus(t, "confirm", p.org.post(split+"/shares/"+share+"/confirm", nil), http.StatusSeeOther)

	// Uncompressed (a compressed page's length is not known before it is
	// written), the page goes out in one write with its length.
	req, _ := http.NewRequest(http.MethodGet, p.app.srv.URL+p.thread, nil)
	req.Header.Set("Accept-Encoding", "identity")
	res := p.org.do(req)
	wantStatus(t, "thread", res, 200)
	if n, err := strconv.Atoi(res.header.Get("Content-Length")); err != nil || n != len(res.body) {
		t.Errorf("Content-Length %q for a body of %d bytes", res.header.Get("Content-Length"), len(res.body))
	}
	wantBody(t, "thread", res, `class="split-card status-open"`, `class="share share-self"`, `class="share share-paid"`,
		`class="share share-due"`, `class="button small secondary"`)

	id, _ := strconv.ParseInt(strings.TrimPrefix(p.thread, "/threads/"), 10, 64)
	last, err := p.app.store.LastEventID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	wantBody(t, "thread", res, `sse-connect="`+p.thread+"/events?after="+strconv.FormatInt(last, 10)+`"`)
}
