package handlers_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// suggestionHref is the link of the suggestion in a page or event.
func suggestionHref(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`<a class="button secondary small" href="([^"]+)" data-testid="suggestion-open"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no suggestion link in %.600s", body)
	}
	return html.UnescapeString(m[1])
}

// Money talk in a two-person thread: each of the two sees their own
// suggestion, live and on the page; one tap opens the prefilled form and
// nothing moves without it; a dismissal is kept for that person only.
func TestMoneyTalkSuggestionsInTwoPersonThread(t *testing.T) {
	p, direct := sendReady(t)
	t.Parallel()
	wantStatus(t, "Léa speaks French", p.lea.post("/locale", url.Values{"locale": {"fr"}, "next": {"/"}}), http.StatusSeeOther)
	samEvents, _ := p.sam.openStream(t.Context(), p.app.srv.URL, direct, "")
	leaEvents, _ := p.lea.openStream(t.Context(), p.app.srv.URL, direct, "")
	wantStatus(t, "Léa says Sam owes her", p.lea.post(direct+"/messages", url.Values{"body": {"tu me dois 20 balles"}}), http.StatusSeeOther)

	// Live: Sam, the debtor, is offered to send; Léa, the creditor, to ask.
	ev := next(t, samEvents, "tu me dois 20 balles", 5e9)
	wantIn(t, "Sam's live message", ev.data, `data-testid="suggestion"`, "Send €20.00 to Léa?")
	ev = next(t, leaEvents, "tu me dois 20 balles", 5e9)
	wantIn(t, "Léa's live message", ev.data, `data-testid="suggestion"`, "Demander 20,00 € à Sam ?")

	// On the page, and the link opens the prefilled Send form.
	page := p.sam.get(direct)
	wantBody(t, "Sam's page", page, "Send €20.00 to Léa?")
	form := p.sam.get(suggestionHref(t, page.body))
	wantStatus(t, "send form", form, 200)
	wantBody(t, "send form", form, `data-testid="send-form"`, `value="20.00"`, "To Léa")
	lea := p.lea.get(direct)
	ask := p.lea.get(suggestionHref(t, lea.body))
	wantBody(t, "request form", ask, `data-testid="request-form"`, `value="20,00"`, "À Sam")
	if n := p.count(t, `SELECT count(*) FROM ledger_transfers`); n != 0 {
		t.Errorf("%d transfers after a suggestion, want 0", n)
	}

	// Léa dismisses hers (with htmx: the line goes in place); Sam still
	// has his; a reload does not bring hers back.
	id := regexp.MustCompile(`id="s(\d+)"`).FindStringSubmatch(lea.body)[1]
	req, _ := http.NewRequest(http.MethodPost, p.app.srv.URL+direct+"/messages/"+id+"/suggestion/dismiss", nil)
	req.Header.Set("Origin", p.app.srv.URL)
	req.Header.Set("HX-Request", "true")
	wantStatus(t, "dismiss", p.lea.do(req), 200)
	if b := p.lea.get(direct).body; strings.Contains(b, `data-testid="suggestion"`) || !strings.Contains(b, "tu me dois 20 balles") {
		t.Errorf("Léa's page after dismissing: suggestion still there or message gone")
	}
	wantBody(t, "Sam's page after Léa dismissed", p.sam.get(direct), "Send €20.00 to Léa?")
	// Without JavaScript: back to the thread, gone for Sam too.
	res := p.sam.post(direct+"/messages/"+id+"/suggestion/dismiss", nil)
	wantStatus(t, "dismiss without htmx", res, http.StatusSeeOther)
	if b := p.sam.get(direct).body; strings.Contains(b, `data-testid="suggestion"`) {
		t.Errorf("Sam's suggestion still shown after he dismissed it")
	}
	wantStatus(t, "dismiss twice", p.sam.post(direct+"/messages/"+id+"/suggestion/dismiss", nil), http.StatusSeeOther)

	// The author of "I owe you" sees the send at once in the htmx answer.
	req, _ = http.NewRequest(http.MethodPost, p.app.srv.URL+direct+"/messages", strings.NewReader(url.Values{"body": {"I owe you $12 for the cab"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.app.srv.URL)
	req.Header.Set("HX-Request", "true")
	posted := p.sam.do(req)
	wantStatus(t, "htmx post", posted, 200)
	wantBody(t, "htmx answer", posted, "Send $12.00 to Léa?")
	if href := suggestionHref(t, posted.body); !strings.Contains(href, "amount=12.00+USD") {
		t.Errorf("a foreign amount's link %q does not name its currency", href)
	}
	ev = next(t, leaEvents, "I owe you $12", 5e9)
	wantIn(t, "Léa's live foreign amount", ev.data, "Demander 12,00 $ à Sam ?")

	// An ordinary message suggests nothing, and a stranger cannot dismiss.
	wantStatus(t, "plain message", p.sam.post(direct+"/messages", url.Values{"body": {"see you at 8.30"}}), http.StatusSeeOther)
	if n := p.count(t, `SELECT count(*) FROM messages WHERE data ? 'suggestion'`); n != 2 {
		t.Errorf("%d messages with a suggestion, want 2", n)
	}
	eve := p.app.client()
	eve.signup("Eve", "eve@example.com", "correct horse")
	wantStatus(t, "stranger dismisses", eve.post(direct+"/messages/"+id+"/suggestion/dismiss", nil), http.StatusNotFound)
}

// In a group thread "you" is the person named with @; without one, or
// with someone who left or nobody of that name, there is no suggestion;
// only the two people concerned see it; a bill to share is offered to its
// author as a split.
func TestMoneyTalkSuggestionsInGroupThread(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	nina := p.app.joinAsGuest(p.org.inviteURL(p.thread), "Nina")
	wantStatus(t, "Nina leaves", nina.post(p.thread+"/leave", nil), http.StatusSeeOther)
	orgEvents, _ := p.org.openStream(t.Context(), p.app.srv.URL, p.thread, "")
	// A command naming someone who left: a sentence, the text kept.
	res := p.sam.post(p.thread+"/messages", url.Values{"body": {"/send 5 @Nina"}})
	wantStatus(t, "send to someone who left", res, http.StatusUnprocessableEntity)
	wantBody(t, "send to someone who left", res, "Nobody called “Nina” in this thread.", `value="/send 5 @Nina"`)

	for _, body := range []string{"je te dois 15 €", "@nina tu me dois 20 €", "@bob I owe you 5", "@léa @olivia you owe me 9"} {
		wantStatus(t, body, p.sam.post(p.thread+"/messages", url.Values{"body": {body}}), http.StatusSeeOther)
	}
	wantStatus(t, "mention", p.sam.post(p.thread+"/messages", url.Values{"body": {"@lea je te dois 15 €"}}), http.StatusSeeOther)
	// Olivia, not concerned, gets the message live without a suggestion.
	ev := next(t, orgEvents, "@lea je te dois 15 €", 5e9)
	if strings.Contains(ev.data, "suggestion") {
		t.Errorf("Olivia's live message carries a suggestion: %.400s", ev.data)
	}
	if n := p.count(t, `SELECT count(*) FROM messages WHERE data ? 'suggestion'`); n != 1 {
		t.Errorf("%d messages with a suggestion, want only the one naming Léa", n)
	}
	wantBody(t, "Sam", p.sam.get(p.thread), "Send €15.00 to Léa?")
	wantBody(t, "Léa", p.lea.get(p.thread), "Request €15.00 from Sam?")
	if b := p.org.get(p.thread).body; strings.Contains(b, `data-testid="suggestion"`) {
		t.Errorf("Olivia sees a suggestion about Sam and Léa")
	}
	// Léa's link asks Sam, in this thread.
	href := suggestionHref(t, p.lea.get(p.thread).body)
	if !strings.HasPrefix(href, p.thread+"/request?") || !strings.Contains(href, "to="+p.ids["Sam"]) {
		t.Errorf("Léa's suggestion opens %q", href)
	}

	wantStatus(t, "a bill", p.org.post(p.thread+"/messages", url.Values{"body": {"on partage l'addition de 60 € ?"}}), http.StatusSeeOther)
	page := p.org.get(p.thread)
	wantBody(t, "Olivia's bill", page, "Split €60.00?")
	form := p.org.get(suggestionHref(t, page.body))
	wantBody(t, "split form", form, `data-testid="split-form"`, `value="60.00"`)
	if strings.Count(p.sam.get(p.thread).body, `data-testid="suggestion"`) != 1 {
		t.Errorf("Sam sees a suggestion other than his own")
	}
	// A dismissal names a message of this thread; another id changes nothing.
	wantStatus(t, "dismiss nothing", p.sam.post(p.thread+"/messages/999999/suggestion/dismiss", nil), http.StatusSeeOther)
	wantStatus(t, "dismiss garbage", p.sam.post(p.thread+"/messages/x/suggestion/dismiss", nil), http.StatusNotFound)
}

func wantIn(t *testing.T, what, body string, parts ...string) {
	t.Helper()
	body = strings.NewReplacer("\u00a0", " ", "\u202f", " ").Replace(body) // French spacing
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Errorf("%s: no %q in %.800s", what, p, body)
		}
	}
}

// A suggestion dismissed (say, in another tab) stays dismissed in the
// events a stream replays after it reconnects; the other person's stays.
func TestDismissedSuggestionStaysDismissedInReplay(t *testing.T) {
	p, direct := sendReady(t)
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	leaEvents, _ := p.lea.openStream(ctx, p.app.srv.URL, direct, "")
	wantStatus(t, "Léa says Sam owes her", p.lea.post(direct+"/messages", url.Values{"body": {"you owe me 20"}}), http.StatusSeeOther)
	ev := next(t, leaEvents, "you owe me 20", 5e9)
	wantIn(t, "Léa's live message", ev.data, `data-testid="suggestion"`)
	cancel() // the connection drops

	id := regexp.MustCompile(`id="s(\d+)"`).FindStringSubmatch(p.lea.get(direct).body)[1]
	wantStatus(t, "dismiss", p.lea.post(direct+"/messages/"+id+"/suggestion/dismiss", nil), http.StatusSeeOther)

	after := strconv.FormatInt(ev.id-1, 10)
	again, _ := p.lea.openStream(t.Context(), p.app.srv.URL, direct, after)
	ev = next(t, again, "you owe me 20", 5e9)
	if strings.Contains(ev.data, `data-testid="suggestion"`) {
		t.Errorf("the replayed message brings back the dismissed suggestion: %.300s", ev.data)
	}
	sams, _ := p.sam.openStream(t.Context(), p.app.srv.URL, direct, after)
	ev = next(t, sams, "you owe me 20", 5e9)
	wantIn(t, "Sam's replayed message", ev.data, `data-testid="suggestion"`)
}
