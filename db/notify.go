package db

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Refusals of this file (worded in views/refusals_text.go).
var (
	errNotificationKind = NewReason(EINVALID, "notification.kind")
	ErrEmailInvalid     = NewReason(EINVALID, "email.invalid")
	ErrEmailRefused     = NewReason(EINVALID, "email.refused", "address")
)

// Notification kinds.
const (
	NotifyActivationCode = "activation_code" // the one-time code that activates payments
	NotifyReminder       = "reminder"        // an organizer's nudge to pay a share
)

// Notification is a message to one person, outside the app.
type Notification struct {
	UserID  int64
	To      string // an email address; may be empty (then only the outbox sees it)
	Kind    string // NotifyActivationCode, NotifyReminder, ...
	Subject string
	Body    string // plain text
}

// Notifier delivers notifications: the boundary with email (SMTPNotifier)
// or, in development, a table a page can show (OutboxNotifier).
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// OutboxNotifier is the development notifier: it writes every notification,
// body included, to the outbox table and logs it, so a developer can read
// activation codes on a page (DB.Outbox) without an email server. Bodies
// carry one-time codes in the clear: do not use it in production.
type OutboxNotifier struct {
	d   *DB
	log *slog.Logger
}

// NewOutboxNotifier returns a notifier that writes to d's outbox table and
// logs to log (nil: not logged).
func NewOutboxNotifier(d *DB, log *slog.Logger) *OutboxNotifier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &OutboxNotifier{d: d, log: log}
}

const insertOutbox = `
INSERT INTO outbox (user_id, recipient, kind, subject, body)
VALUES (NULLIF($1, 0), $2, $3, $4, $5)`

// Notify records n in the outbox and logs it (body included: development only).
func (o *OutboxNotifier) Notify(ctx context.Context, n Notification) error {
	if n.Kind == "" {
		return errNotificationKind.New()
	}
	if _, err := o.d.x.ExecContext(ctx, insertOutbox, n.UserID, n.To, n.Kind, n.Subject, n.Body); err != nil {
		return mapErr(err, "notification")
	}
	o.log.InfoContext(ctx, "notification (development outbox)", "kind", n.Kind, "user_id", n.UserID,
		"to", n.To, "subject", n.Subject, "body", n.Body)
	return nil
}

// OutboxMessage is a notification kept by the OutboxNotifier.
type OutboxMessage struct {
	ID int64
	Notification
	CreatedAt time.Time
}

type outboxRow struct {
	ID        int64     `db:"id"`
	UserID    *int64    `db:"user_id"`
	Recipient string    `db:"recipient"`
	Kind      string    `db:"kind"`
	Subject   string    `db:"subject"`
	Body      string    `db:"body"`
	CreatedAt time.Time `db:"created_at"`
}

const selectOutbox = `
SELECT id, user_id, recipient, kind, subject, body, created_at
FROM outbox ORDER BY id DESC LIMIT $1`

// Outbox returns the latest limit (1 to 500) notifications of the
// development outbox, newest first. It is for a development-only page: the
// bodies carry one-time codes.
func (d *DB) Outbox(ctx context.Context, limit int) ([]OutboxMessage, error) {
	limit = min(max(limit, 1), 500)
	var rows []outboxRow
	if err := d.x.SelectContext(ctx, &rows, selectOutbox, limit); err != nil {
		return nil, err
	}
	out := make([]OutboxMessage, len(rows))
	for i, r := range rows {
		out[i] = OutboxMessage{ID: r.ID, CreatedAt: r.CreatedAt, Notification: Notification{
			To: r.Recipient, Kind: r.Kind, Subject: r.Subject, Body: r.Body}}
		if r.UserID != nil {
			out[i].UserID = *r.UserID
		}
	}
	return out, nil
}

// SMTPNotifier sends notifications as plain-text email through an SMTP
// server (net/smtp): STARTTLS when the server offers it (smtp://) or TLS from
// the start (smtps://), then AUTH PLAIN when the URL has a user. net/smtp
// refuses to send the password over a connection that is not encrypted,
// except to localhost. A notification without an address is not sent.
type SMTPNotifier struct {
	// TLS, when set, is used for STARTTLS and smtps (for a private CA); its
	// ServerName defaults to the host of the URL.
	TLS *tls.Config
	// Timeout bounds one delivery when the context has no deadline (default 30s).
	Timeout time.Duration

	addr        string // host:port
	host        string
	implicitTLS bool
	user, pass  string
	from        mail.Address
}

// NewSMTPNotifier returns a notifier for an SMTP_URL such as
//
//	smtp://user:pass@smtp.example.com:587?from=divvy@example.com
//	smtps://user:pass@smtp.example.com?from=Divvy%20%3Cdivvy@example.com%3E
//
// The port defaults to 587 (smtp) or 465 (smtps); from is required. Errors
// never repeat the password.
func NewSMTPNotifier(rawURL string) (*SMTPNotifier, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		// The parse error quotes the URL, password included: do not wrap it.
		return nil, errors.New("SMTP_URL is not a valid URL (smtp://user:pass@host:587?from=you@example.com)")
	}
	s := &SMTPNotifier{Timeout: 30 * time.Second}
	port := ""
	switch u.Scheme {
	case "smtp":
		port = "587"
	case "smtps":
		port, s.implicitTLS = "465", true
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
		port = p
	}
	s.addr = net.JoinHostPort(s.host, port)
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
func (s *SMTPNotifier) String() string {
	scheme := "smtp"
	if s.implicitTLS {
		scheme = "smtps"
	}
	u := url.URL{Scheme: scheme, Host: s.addr, RawQuery: url.Values{"from": {s.from.Address}}.Encode()}
	if s.user != "" {
		u.User = url.UserPassword(s.user, "xxxxx")
	}
	return u.String()
}

// Notify sends n to n.To. A notification without an address is skipped; an
// address the server refuses for good is EINVALID; other failures are
// errors to retry later.
func (s *SMTPNotifier) Notify(ctx context.Context, n Notification) error {
	if strings.TrimSpace(n.To) == "" {
		return nil
	}
	to, err := mail.ParseAddress(n.To)
	if err != nil {
		return ErrEmailInvalid.New()
	}
	msg, err := s.message(*to, n, time.Now())
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok && s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	if err := s.send(ctx, to.Address, msg); err != nil {
		var te *textproto.Error
		if errors.As(err, &te) && te.Code >= 550 && te.Code <= 553 {
			return ErrEmailRefused.New(to.Address)
		}
		return fmt.Errorf("send %s notification through %s: %w", n.Kind, s, err)
	}
	return nil
}

func (s *SMTPNotifier) tlsConfig() *tls.Config {
	c := &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	if s.TLS != nil {
		c = s.TLS.Clone()
		if c.ServerName == "" {
			c.ServerName = s.host
		}
	}
	return c
}

// send speaks SMTP with the server: one message to one recipient.
func (s *SMTPNotifier) send(ctx context.Context, to string, msg []byte) error {
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return err
	}
	if s.implicitTLS {
		conn = tls.Client(conn, s.tlsConfig())
	}
	// The SMTP client knows no context: a deadline and a close on
	// cancellation stop a server that hangs.
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if !s.implicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tlsConfig()); err != nil {
				return err
			}
		}
	}
	if s.user != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("the server offers no AUTH, but SMTP_URL has a user")
		}
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pass, s.host)); err != nil {
			return err
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// message formats n as an RFC 5322 plain-text email with CRLF line ends:
// UTF-8 subject as an encoded word when needed, body quoted-printable.
func (s *SMTPNotifier) message(to mail.Address, n Notification, now time.Time) ([]byte, error) {
	subject := strings.Join(strings.Fields(n.Subject), " ") // no CR or LF can forge a header
	if utf8.RuneCountInString(subject) > 200 {
		subject = string([]rune(subject)[:200])
	}
	var id [12]byte
	rand.Read(id[:])
	domain := s.from.Address[strings.LastIndex(s.from.Address, "@")+1:]

	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", s.from.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id[:])+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	if n.Kind != "" {
		header("X-Divvy-Kind", strings.Join(strings.Fields(n.Kind), "_"))
	}
	b.WriteString("\r\n")
	// In text mode the quoted-printable writer ends every line with CRLF.
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(n.Body, "\r\n", "\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}
