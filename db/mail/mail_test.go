package mail_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/db/dbtest"
	"divvy/db/mail"
	"divvy/db/money"
)

// wantErr checks err's code and that its reason is reason.
func wantErr(t testing.TB, err error, code, reason string) {
	t.Helper()
	if db.ErrorCode(err) != code || db.ReasonOf(err) != reason {
		t.Fatalf("err = %v (%s); want %s %s", err, db.ErrorCode(err), code, reason)
	}
}

func eur(s string) money.Money {
	return money.Money{Amount: decimal.RequireFromString(s), Currency: "EUR"}
}

// reminder is a reminder to Sam in locale, with the pay link.
func reminder(locale string) db.Notification {
	return db.Notification{UserID: 7, To: "sam@example.com", Kind: db.NotifyReminder, Locale: locale, Data: map[string]any{
		"from": "Olivia", "amount": eur("11.88"), "title": "Pizza night",
		"link": "https://divvy.example/threads/3/splits/9/pay"}}
}

// Every kind of mail is written in every language, from its template, and
// a template that names data the notification lacks is an error, not a
// mail with a hole in it.
func TestCompose(t *testing.T) {
	for _, tc := range []struct {
		n             db.Notification
		subject, body string
	}{
		{reminder("en"), "Reminder: Pizza night", "Olivia reminds you of your share of €11.88 for Pizza night in Divvy.\n\nPay it here: https://divvy.example/threads/3/splits/9/pay\n"},
		{reminder("fr"), "Rappel : Pizza night", "Olivia vous rappelle votre part de 11,88\u00a0€ pour Pizza night sur Divvy.\n\nPayez-la ici : https://divvy.example/threads/3/splits/9/pay\n"},
		{reminder(""), "Reminder: Pizza night", ""},
		{db.Notification{Kind: db.NotifyActivationCode, Locale: "fr", Data: map[string]any{"code": "482913", "minutes": 15}},
			"Votre code Divvy : 482913", "Votre code Divvy pour activer les paiements est 482913.\n\nIl fonctionne pendant 15 minutes."},
		{db.Notification{Kind: db.NotifyActivationCode, Locale: "en", Data: map[string]any{"code": "482913", "minutes": 15}},
			"Your Divvy code: 482913", "Your Divvy code to activate payments is 482913."},
		{db.Notification{Kind: db.NotifyPasswordReset, Locale: "fr", Data: map[string]any{"name": "Sam", "link": "https://x/r/t", "minutes": 30}},
			"Réinitialisez votre mot de passe Divvy", "Bonjour Sam,"},
	} {
		subject, body, err := mail.Compose(tc.n)
		if err != nil {
			t.Fatalf("%s/%s: %v", tc.n.Kind, tc.n.Locale, err)
		}
		if subject != tc.subject || !strings.HasPrefix(body, tc.body) {
			t.Errorf("%s/%s: %q\n%q\nwant %q\n%q", tc.n.Kind, tc.n.Locale, subject, body, tc.subject, tc.body)
		}
	}
	for _, kind := range mail.Kinds {
		for _, l := range mail.Locales {
			if _, _, err := mail.Compose(db.Notification{Kind: kind, Locale: l, Data: map[string]any{}}); err == nil {
				t.Errorf("%s/%s without its data: no error", kind, l)
			}
		}
	}
	if _, _, err := mail.Compose(db.Notification{Kind: "no_such_kind"}); err == nil {
		t.Error("a kind without a template: no error")
	}
}

func TestOutbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	n := mail.NewOutbox(d, nil)
	sam, err := d.CreateGuest(ctx, "Sam", "fr")
	if err != nil {
		t.Fatal(err)
	}
	first := reminder("fr")
	first.UserID = sam.ID
	if err := n.Notify(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(ctx, db.Notification{Kind: db.NotifyActivationCode, Locale: "en", Data: map[string]any{"code": "123456", "minutes": 15}}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, n.Notify(ctx, db.Notification{UserID: sam.ID}), db.EINVALID, "notification.kind")
	got, err := d.Outbox(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].UserID != 0 || got[0].Subject != "Your Divvy code: 123456" ||
		got[1].UserID != sam.ID || got[1].To != "sam@example.com" || got[1].Kind != db.NotifyReminder ||
		got[1].Subject != "Rappel : Pizza night" || !strings.Contains(got[1].Body, "Payez-la ici : https://divvy.example/threads/3/splits/9/pay") ||
		got[0].ID <= got[1].ID || time.Since(got[1].CreatedAt) > time.Minute {
		t.Fatalf("outbox = %+v", got)
	}
	if all, _ := d.Outbox(ctx, 0); len(all) != 1 {
		t.Errorf("Outbox(0) returned %d; want at least one, at most the limit", len(all))
	}
}

func TestNewSMTPNotifier(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url  string
		want string // String() of the notifier, or a part of the error
		ok   bool
	}{
		{"smtp://user:s3cret@mail.example.com:587?from=divvy@example.com", "smtp://user:xxxxx@mail.example.com:587?from=divvy%40example.com", true},
		{"smtp://mail.example.com?from=divvy@example.com", "smtp://mail.example.com:587?from=divvy%40example.com", true},
		{"smtps://u:p@mail.example.com?from=Divvy%20%3Cdivvy@example.com%3E", "smtps://u:xxxxx@mail.example.com:465?from=divvy%40example.com", true},
		{"smtp://[::1]:2525?from=a@b.example", "smtp://[::1]:2525?from=a%40b.example", true},
		{"http://mail.example.com?from=divvy@example.com", "smtp:// or smtps://", false},
		{"smtp://user:s3cret@mail.example.com:587", "from", false},
		{"smtp://user:s3cret@mail.example.com:587?from=nobody", "from address", false},
		{"smtp://user:s3cret@mail.example.com:587?from=a@b.example&from=c@d.example", "from", false},
		{"smtp://user:s3cret@mail.example.com:587?from=a@b.example&tls=off", "unknown parameter", false},
		{"smtp://user:s3cret@:587?from=a@b.example", "no host", false},
		{"smtp://user:s3cret@mail.example.com:99999?from=a@b.example", "port", false},
		{"smtp://user@mail.example.com?from=a@b.example", "password", false},
		{"smtp://user:s3cret@mail.example.com/path?from=a@b.example", "path", false},
		{"smtp://user:s3cret@mail example.com:587?from=a@b.example", "not a valid URL", false},
		{"", "smtp:// or smtps://", false},
	} {
		s, err := mail.NewSMTP(tc.url)
		switch {
		case tc.ok && err != nil:
			t.Errorf("%q: %v", tc.url, err)
		case tc.ok && s.String() != tc.want:
			t.Errorf("%q: String() = %q; want %q", tc.url, s.String(), tc.want)
		case !tc.ok && err == nil:
			t.Errorf("%q: accepted; want an error about %s", tc.url, tc.want)
		case !tc.ok && !strings.Contains(err.Error(), tc.want):
			t.Errorf("%q: %v; want an error about %s", tc.url, err, tc.want)
		case !tc.ok && strings.Contains(err.Error(), "s3cret"):
			t.Errorf("%q: the error repeats the password: %v", tc.url, err)
		}
	}
}

// fakeSMTP is a small SMTP server on 127.0.0.1 that keeps what it receives.
type fakeSMTP struct {
	addr     string
	tls      *tls.Config // offers STARTTLS when set
	rcptCode int         // answers RCPT with this code when set
	mu       sync.Mutex
	mails    []fakeMail
}

type fakeMail struct {
	tls        bool
	auth       string // the decoded AUTH PLAIN response
	from, rcpt string
	data       string // as sent, CRLF and dot-stuffing undone
}

func startFakeSMTP(t *testing.T, tlsConf *tls.Config, rcptCode int) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	f := &fakeSMTP{addr: ln.Addr().String(), tls: tlsConf, rcptCode: rcptCode}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *fakeSMTP) serve(conn net.Conn) {
	defer func() { conn.Close() }()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r, w := bufio.NewReader(conn), conn
	say := func(lines ...string) { io.WriteString(w, strings.Join(lines, "\r\n")+"\r\n") }
	say("220 fake.example ESMTP")
	var m fakeMail
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			lines := []string{"250-fake.example"}
			if f.tls != nil && !m.tls {
				lines = append(lines, "250-STARTTLS")
			}
			say(append(lines, "250-AUTH PLAIN", "250 8BITMIME")...)
		case "STARTTLS":
			say("220 go ahead")
			tc := tls.Server(conn, f.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, r, w, m.tls = tc, bufio.NewReader(tc), tc, true
		case "AUTH":
			b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(arg, "PLAIN "))
			if err != nil {
				say("501 bad auth")
				continue
			}
			m.auth = string(b)
			say("235 ok")
		case "MAIL":
			m.from = arg
			say("250 ok")
		case "RCPT":
			if f.rcptCode != 0 {
				say(fmt.Sprintf("%d no such user here", f.rcptCode))
				continue
			}
			m.rcpt = arg
			say("250 ok")
		case "DATA":
			say("354 go ahead")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			m.data = data.String()
			f.mu.Lock()
			f.mails = append(f.mails, m)
			f.mu.Unlock()
			say("250 queued")
		case "NOOP", "RSET":
			say("250 ok")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 what?")
		}
	}
}

func (f *fakeSMTP) received() []fakeMail {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeMail(nil), f.mails...)
}

// parseMail checks that every line of raw ends in CRLF and returns the message.
func parseMail(t *testing.T, raw string) (*netmail.Message, string) {
	t.Helper()
	if strings.Contains(strings.ReplaceAll(raw, "\r\n", ""), "\n") || strings.Contains(strings.ReplaceAll(raw, "\r\n", ""), "\r") {
		t.Fatalf("the message has a line end that is not CRLF: %q", raw)
	}
	for _, line := range strings.Split(raw, "\r\n") {
		if len(line) > 78 {
			t.Errorf("line longer than 78 characters: %q", line)
		}
	}
	msg, err := netmail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, raw)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return msg, string(body)
}

// Mail goes through go-mail to an SMTP server the test runs on
// 127.0.0.1: one reminder in English and one in French, each with the pay
// link, as UTF-8 quoted-printable with CRLF lines.
func TestSMTPNotifierSends(t *testing.T) {
	t.Parallel()
	srv := startFakeSMTP(t, nil, 0)
	s, err := mail.NewSMTP("smtp://divvy:s3cret@" + srv.addr + "?from=Divvy%20%3Cdivvy@example.com%3E")
	if err != nil {
		t.Fatal(err)
	}
	en, fr := reminder("en"), reminder("fr")
	fr.Data["title"] = "Soirée pizza\r\nBcc: evil@example.com"
	for _, n := range []db.Notification{en, fr} {
		if err := s.Notify(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
	got := srv.received()
	if len(got) != 2 {
		t.Fatalf("received %d mails; want 2", len(got))
	}
	for i, want := range []struct{ subject, body string }{
		{"Reminder: Pizza night", "Olivia reminds you of your share of €11.88 for Pizza night in Divvy.\r\n\r\nPay it here: https://divvy.example/threads/3/splits/9/pay\r\n"},
		{"Rappel : Soirée pizza Bcc: evil@example.com", "Olivia vous rappelle votre part de 11,88\u00a0€ pour Soirée pizza Bcc: evil@example.com sur Divvy."},
	} {
		m := got[i]
		if m.auth != "\x00divvy\x00s3cret" || !strings.HasPrefix(m.from, "FROM:<divvy@example.com>") || !strings.HasPrefix(m.rcpt, "TO:<sam@example.com>") {
			t.Fatalf("envelope: auth %q, from %q, rcpt %q", m.auth, m.from, m.rcpt)
		}
		msg, body := parseMail(t, m.data)
		subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		if subject != want.subject {
			t.Errorf("mail %d: subject = %q; want %q", i, subject, want.subject)
		}
		if !strings.HasPrefix(body, want.body) || !strings.Contains(body, "https://divvy.example/threads/3/splits/9/pay") {
			t.Errorf("mail %d: body = %q; want it to start %q and carry the pay link", i, body, want.body)
		}
		for k, want := range map[string]string{
			"From":                      `"Divvy" <divvy@example.com>`,
			"To":                        "<sam@example.com>",
			"Content-Transfer-Encoding": "quoted-printable",
			"MIME-Version":              "1.0",
			"Bcc":                       "",
			"X-Divvy-Kind":              "reminder",
		} {
			if got := msg.Header.Get(k); got != want {
				t.Errorf("mail %d: %s: %q; want %q", i, k, got, want)
			}
		}
		if ct := msg.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "text/plain; charset=utf-8") {
			t.Errorf("mail %d: Content-Type %q", i, ct)
		}
		if date, err := msg.Header.Date(); err != nil || time.Since(date) > time.Minute {
			t.Errorf("Date: %v, %v", date, err)
		}
		if id := msg.Header.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, ">") {
			t.Errorf("Message-ID = %q", id)
		}
	}

	// No address: nothing to send, and no connection.
	if err := s.Notify(context.Background(), db.Notification{UserID: 7, Kind: db.NotifyReminder}); err != nil {
		t.Fatal(err)
	}
	bad := reminder("en")
	bad.To = "not an address"
	wantErr(t, s.Notify(context.Background(), bad), db.EINVALID, "email.invalid")
	if len(srv.received()) != 2 {
		t.Fatalf("received %d mails; want still 2", len(srv.received()))
	}
}

// With a server offering STARTTLS, the password only travels encrypted.
func TestSMTPNotifierSTARTTLS(t *testing.T) {
	t.Parallel()
	serverTLS, pool := selfSigned(t)
	srv := startFakeSMTP(t, serverTLS, 0)
	s, err := mail.NewSMTP("smtp://divvy:s3cret@" + srv.addr + "?from=divvy@example.com")
	if err != nil {
		t.Fatal(err)
	}
	s.TLS = &tls.Config{RootCAs: pool}
	if err := s.Notify(context.Background(), reminder("en")); err != nil {
		t.Fatal(err)
	}
	got := srv.received()
	if len(got) != 1 || !got[0].tls || got[0].auth != "\x00divvy\x00s3cret" {
		t.Fatalf("received %+v; want one mail over TLS", got)
	}
	// A certificate the client does not trust stops the delivery.
	s.TLS = nil
	if err := s.Notify(context.Background(), reminder("en")); err == nil {
		t.Fatal("sent through a server with an untrusted certificate")
	}
}

func TestSMTPNotifierRefusals(t *testing.T) {
	t.Parallel()
	srv := startFakeSMTP(t, nil, 550)
	s, err := mail.NewSMTP("smtp://" + srv.addr + "?from=divvy@example.com")
	if err != nil {
		t.Fatal(err)
	}
	nobody := reminder("en")
	nobody.To = "nobody@example.com"
	wantErr(t, s.Notify(context.Background(), nobody), db.EINVALID, "email.refused")

	// A server that is down is an error to retry later, not the person's fault.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s, err = mail.NewSMTP("smtp://" + addr + "?from=divvy@example.com")
	if err != nil {
		t.Fatal(err)
	}
	err = s.Notify(context.Background(), reminder("en"))
	if err == nil || db.ErrorCode(err) != db.EINTERNAL {
		t.Fatalf("server down: %v", err)
	}

	// A server that never answers is given up on when the context ends.
	hang, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hang.Close()
	s, err = mail.NewSMTP("smtp://" + hang.Addr().String() + "?from=divvy@example.com")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := s.Notify(ctx, reminder("en")); err == nil {
		t.Fatal("sent through a server that never answered")
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("gave up after %v", time.Since(start))
	}
}

// selfSigned returns a server TLS config for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "fake smtp"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}
