package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"

	"divvy/db"
)

// SMTP sends notifications as plain-text email through an SMTP server, with
// github.com/wneessen/go-mail: STARTTLS when the server offers it (smtp://)
// or TLS from the start (smtps://), then AUTH PLAIN when the URL has a
// user. A notification without an address is not sent.
type SMTP struct {
	// TLS, when set, is used for STARTTLS and smtps (for a private CA); its
	// ServerName defaults to the host of the URL.
	TLS *tls.Config
	// Timeout bounds one delivery when the context has no deadline (default 30s).
	Timeout time.Duration

	host        string
	port        int
	implicitTLS bool
	user, pass  string
	from        mail.Address
}

// NewSMTP returns a notifier for an SMTP_URL such as
//
//	smtp://user:pass@smtp.example.com:587?from=divvy@example.com
//	smtps://user:pass@smtp.example.com?from=Divvy%20%3Cdivvy@example.com%3E
//
// The port defaults to 587 (smtp) or 465 (smtps); from is required. Errors
// never repeat the password.
func NewSMTP(rawURL string) (*SMTP, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		// The parse error quotes the URL, password included: do not wrap it.
		return nil, errors.New("SMTP_URL is not a valid URL (smtp://user:pass@host:587?from=you@example.com)")
	}
	s := &SMTP{Timeout: 30 * time.Second}
	switch u.Scheme {
	case "smtp":
		s.port = 587
	case "smtps":
		s.port, s.implicitTLS = 465, true
	default:
		return nil, fmt.Errorf("SMTP_URL must start with smtp:// or smtps://, not %q", u.Scheme+"://")
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, fmt.Errorf("SMTP_URL has a path or fragment; write smtp://user:pass@host:port?from=address")
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, errors.New("SMTP_URL has no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("SMTP_URL port %q is not a port number", p)
		}
		s.port = n
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		if s.user == "" || s.pass == "" {
			return nil, errors.New("SMTP_URL has a user without a password (or a password without a user)")
		}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, errors.New("SMTP_URL has a malformed query")
	}
	for k := range q {
		if k != "from" {
			return nil, fmt.Errorf("SMTP_URL has an unknown parameter %q (only from is known)", k)
		}
	}
	if len(q["from"]) != 1 || q.Get("from") == "" {
		return nil, errors.New("SMTP_URL needs one from address: ...?from=divvy@example.com")
	}
	from, err := mail.ParseAddress(q.Get("from"))
	if err != nil {
		return nil, fmt.Errorf("SMTP_URL from address %q is not an email address", q.Get("from"))
	}
	s.from = *from
	return s, nil
}

// String describes the server without the password, for logs.
func (s *SMTP) String() string {
	scheme := "smtp"
	if s.implicitTLS {
		scheme = "smtps"
	}
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(s.host, strconv.Itoa(s.port)), RawQuery: url.Values{"from": {s.from.Address}}.Encode()}
	if s.user != "" {
		u.User = url.UserPassword(s.user, "xxxxx")
	}
	return u.String()
}

// Notify writes n in its reader's language and sends it to n.To. A
// notification without an address is skipped; an address the server
// refuses for good is EINVALID; other failures are errors to retry later.
func (s *SMTP) Notify(ctx context.Context, n db.Notification) error {
	if strings.TrimSpace(n.To) == "" {
		return nil
	}
	to, err := mail.ParseAddress(n.To)
	if err != nil {
		return db.ErrEmailInvalid.New()
	}
	subject, body, err := Compose(n)
	if err != nil {
		return err
	}
	msg, err := s.message(*to, n.Kind, subject, body)
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok && s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	c, err := s.client(ctx)
	if err != nil {
		return err
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *gomail.SendError
		if errors.As(err, &se) && se.ErrorCode() >= 550 && se.ErrorCode() <= 553 {
			return db.ErrEmailRefused.New(to.Address)
		}
		return fmt.Errorf("send %s notification through %s: %w", n.Kind, s, err)
	}
	return nil
}

func (s *SMTP) tlsConfig() *tls.Config {
	c := &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	if s.TLS != nil {
		c = s.TLS.Clone()
		if c.ServerName == "" {
			c.ServerName = s.host
		}
	}
	return c
}

// client is a go-mail client for one delivery. go-mail uses the context
// only to dial; the time left until its deadline bounds every step after.
func (s *SMTP) client(ctx context.Context) (*gomail.Client, error) {
	timeout := s.Timeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(dl), time.Millisecond)
	}
	opts := []gomail.Option{gomail.WithPort(s.port), gomail.WithTLSConfig(s.tlsConfig()), gomail.WithTimeout(timeout)}
	if s.implicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.user != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(s.user), gomail.WithPassword(s.pass))
	}
	return gomail.NewClient(s.host, opts...)
}

// message builds the mail: UTF-8 plain text, the subject on one line.
func (s *SMTP) message(to mail.Address, kind, subject, body string) (*gomail.Msg, error) {
	subject = strings.Join(strings.Fields(subject), " ") // no CR or LF can forge a header
	if utf8.RuneCountInString(subject) > 200 {
		subject = string([]rune(subject)[:200])
	}
	m := gomail.NewMsg(gomail.WithEncoding(gomail.EncodingQP), gomail.WithCharset(gomail.CharsetUTF8))
	m.FromMailAddress(&s.from)
	m.ToMailAddress(&to)
	m.Subject(subject)
	m.SetDate()
	m.SetMessageID()
	if kind != "" {
		m.SetGenHeader(gomail.Header("X-Divvy-Kind"), strings.Join(strings.Fields(kind), "_"))
	}
	m.SetBodyString(gomail.TypeTextPlain, strings.ReplaceAll(body, "\r\n", "\n"))
	return m, nil
}
