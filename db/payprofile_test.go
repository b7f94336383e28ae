package db_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"divvy/db"
	"divvy/db/dbtest"
	"divvy/db/mail"
	"divvy/db/sandbox"
	"divvy/views"
)

const testPepper = "test pepper"

// payStore returns a fresh store with a PIN pepper, and its outbox notifier.
func payStore(t testing.TB) (*db.DB, *mail.Outbox) {
	t.Helper()
	d := dbtest.New(t)
	d.SetPINPepper(testPepper)
	return d, mail.NewOutbox(d, nil)
}

func paySandbox(t testing.TB) *sandbox.Provider {
	t.Helper()
	p, err := sandbox.New([]byte("test key for the sandbox"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func payGuest(t testing.TB, d *db.DB, name string) int64 {
	t.Helper()
	u, err := d.CreateGuest(context.Background(), name, "en")
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func goodSetup(number, pin string) db.PaymentSetup {
	return db.PaymentSetup{
		LegalName: "Sam Martin",
		Contact:   "Sam@Example.com ",
		Card:      db.CardInput{Number: number, ExpMonth: "12", ExpYear: "34", CVC: "123"},
		PIN:       pin, PINConfirm: pin,
	}
}

// setUp sets up payments for a new guest and returns the guest and the code sent.
func setUp(t testing.TB, d *db.DB, n db.Notifier, pin string) (int64, string) {
	t.Helper()
	u := payGuest(t, d, "Sam")
	if _, err := d.SetupPayments(context.Background(), u, paySandbox(t), n, goodSetup("4242 4242 4242 4242", pin)); err != nil {
		t.Fatalf("setup: %v", err)
	}
	return u, lastCode(t, d, u)
}

var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

// lastCode reads the latest activation code sent to user from the outbox.
func lastCode(t testing.TB, d *db.DB, user int64) string {
	t.Helper()
	msgs, err := d.Outbox(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.UserID == user && m.Kind == db.NotifyActivationCode {
			code := sixDigits.FindString(m.Body)
			if code == "" {
				t.Fatalf("no code in %q", m.Body)
			}
			return code
		}
	}
	t.Fatalf("no activation code sent to user %d", user)
	return ""
}

func wrongCode(code string) string {
	return string(rune('0'+(code[0]-'0'+1)%10)) + code[1:]
}

// wantErr checks err's code and that the English sentence a person reads
// (or, for an error outside the vocabulary, its text) contains msgPart.
func wantErr(t testing.TB, err error, code, msgPart string) {
	t.Helper()
	if db.ErrorCode(err) != code || !strings.Contains(english(err), msgPart) {
		t.Fatalf("err = %v (%s, %q); want %s containing %q", err, db.ErrorCode(err), english(err), code, msgPart)
	}
}

// english is what an English reader is told for err.
func english(err error) string {
	if err == nil {
		return ""
	}
	return views.ErrorText(views.WithZone(context.Background(), time.UTC), err)
}

// The profile keeps what identifies the card and the provider's token, and
// no column anywhere could hold a card number or security code.
func TestSetupPaymentsKeepsNoCardNumber(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	u := payGuest(t, d, "Sam")
	in := goodSetup("4242 4242 4242 4242", "482913")
	p, err := d.SetupPayments(ctx, u, paySandbox(t), n, in)
	if err != nil {
		t.Fatal(err)
	}
	want := db.PaymentProfile{UserID: u, LegalName: "Sam Martin", Contact: "sam@example.com", Brand: "visa",
		Last4: "4242", ExpMonth: 12, ExpYear: 2034}
	got := p
	got.Token, got.CodeExpiresAt, got.UpdatedAt = "", time.Time{}, time.Time{}
	if got != want || p.Token == "" || p.Active {
		t.Fatalf("profile = %+v; want %+v, a token, inactive", p, want)
	}
	if left := time.Until(p.CodeExpiresAt); left < 14*time.Minute || left > 16*time.Minute {
		t.Errorf("code expires in %v; want 15 minutes", left)
	}
	again, err := d.PaymentProfile(ctx, u)
	if err != nil || again.Token != p.Token || again.Last4 != "4242" {
		t.Fatalf("PaymentProfile = %+v, %v", again, err)
	}

	var bad []string
	err = d.SQL().SelectContext(ctx, &bad, `SELECT table_name || '.' || column_name FROM information_schema.columns
		WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
		AND column_name ~* '((card|cc)_?(num|no)|^number$|(^|_)(cvc2?|cvv2?|cvn|cid|pan|security_?code)($|_))'`)
	if err != nil || len(bad) > 0 {
		t.Fatalf("columns that could hold a card number or CVC: %v (%v)", bad, err)
	}
	// Nothing stored anywhere in the row repeats the number, the CVC or the PIN.
	var row string
	if err := d.SQL().GetContext(ctx, &row, `SELECT row_to_json(p)::text FROM payment_profiles p WHERE user_id = $1`, u); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"4242424242424242", "4242 4242", "482913", `"123"`} {
		if strings.Contains(row, secret) {
			t.Errorf("the stored profile contains %q: %s", secret, row)
		}
	}
	msgs, err := d.Outbox(ctx, 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("outbox = %+v, %v; want the activation code", msgs, err)
	}
	m := msgs[0]
	if m.UserID != u || m.To != "sam@example.com" || m.Kind != db.NotifyActivationCode || sixDigits.FindString(m.Body) == "" {
		t.Fatalf("outbox message = %+v", m)
	}
}

func TestActivatePayments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	u, code := setUp(t, d, n, "482913")
	wantErr(t, d.ActivatePayments(ctx, u, "12345"), db.EINVALID, "6 digits")
	for _, left := range []string{"4 tries", "3 tries", "2 tries", "1 try"} {
		wantErr(t, d.ActivatePayments(ctx, u, wrongCode(code)), db.EINVALID, "Wrong code, "+left+" left")
	}
	if err := d.ActivatePayments(ctx, u, code[:3]+" "+code[3:]); err != nil {
		t.Fatalf("right code: %v", err)
	}
	p, err := d.PaymentProfile(ctx, u)
	if err != nil || !p.Active || p.ActivatedAt.IsZero() || !p.CodeExpiresAt.IsZero() {
		t.Fatalf("after activation: %+v, %v", p, err)
	}
	if err := d.ActivatePayments(ctx, u, code); err != nil {
		t.Errorf("activating again: %v; want nil", err)
	}
	wantErr(t, d.ResendActivation(ctx, u, n), db.ECONFLICT, "already active")
	wantErr(t, d.ActivatePayments(ctx, payGuest(t, d, "Nobody"), code), db.ENOTFOUND, "Set up payments")
}

// Five wrong codes kill the code; a new one works.
func TestActivationCodeDiesAfterFiveWrong(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	u, code := setUp(t, d, n, "482913")
	for range 4 {
		wantErr(t, d.ActivatePayments(ctx, u, wrongCode(code)), db.EINVALID, "Wrong code")
	}
	wantErr(t, d.ActivatePayments(ctx, u, wrongCode(code)), db.EINVALID, "last try")
	wantErr(t, d.ActivatePayments(ctx, u, code), db.EINVALID, "Ask for a new code")
	if err := d.ResendActivation(ctx, u, n); err != nil {
		t.Fatal(err)
	}
	fresh := lastCode(t, d, u)
	if fresh != code {
		wantErr(t, d.ActivatePayments(ctx, u, code), db.EINVALID, "Wrong code, 4 tries left")
	}
	if err := d.ActivatePayments(ctx, u, fresh); err != nil {
		t.Fatalf("new code: %v", err)
	}
}

func TestActivationCodeExpires(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	u, code := setUp(t, d, n, "482913")
	if _, err := d.SQL().Exec(`UPDATE payment_profiles SET code_expires_at = now() - interval '1 second' WHERE user_id = $1`, u); err != nil {
		t.Fatal(err)
	}
	wantErr(t, d.ActivatePayments(ctx, u, code), db.EINVALID, "expired")
	if p, _ := d.PaymentProfile(ctx, u); p.Active {
		t.Fatal("an expired code activated payments")
	}
}

// A card the provider refuses comes back as the provider's error, and
// nothing is saved.
func TestSetupPaymentsCardRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	u := payGuest(t, d, "Sam")
	for _, tc := range []struct{ number, month, year, want string }{
		{"4242 4242 4242 4241", "12", "34", "card number"},
		{"4242 4242 4242 4242", "13", "34", "month"},
		{"4242 4242 4242 4242", "1", "2001", "expired"},
	} {
		in := goodSetup(tc.number, "482913")
		in.Card.ExpMonth, in.Card.ExpYear = tc.month, tc.year
		_, err := d.SetupPayments(ctx, u, paySandbox(t), n, in)
		var e *db.Error
		if !errors.As(err, &e) || e.Code != db.EINVALID || !strings.Contains(english(err), tc.want) {
			t.Errorf("card %s %s/%s: %v; want the provider's EINVALID about %s", tc.number, tc.month, tc.year, err, tc.want)
		}
	}
	wantErr(t, func() error { _, err := d.PaymentProfile(ctx, u); return err }(), db.ENOTFOUND, "Set up payments")
	if msgs, _ := d.Outbox(ctx, 10); len(msgs) != 0 {
		t.Errorf("codes sent for refused cards: %+v", msgs)
	}
	// A form with problems is refused before the card is even looked at.
	in := goodSetup("4242 4242 4242 4242", "123456")
	_, err := d.SetupPayments(ctx, u, paySandbox(t), n, in)
	wantErr(t, err, db.EINVALID, "problems")
}

// Setting up again replaces the card and PIN and needs a new activation.
func TestSetupPaymentsAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	// Again before activating (the code did not arrive, another card):
	// everything is replaced, and needs activating. Once active, see
	// TestSetupActiveIsNotReplaced.
	u, _ := setUp(t, d, n, "482913")
	in := goodSetup("5555 5555 5555 4444", "739164")
	in.LegalName = "Sam B. Martin"
	p, err := d.SetupPayments(ctx, u, paySandbox(t), n, in)
	if err != nil {
		t.Fatal(err)
	}
	if p.Active || p.Brand != "mastercard" || p.Last4 != "4444" || p.LegalName != "Sam B. Martin" {
		t.Fatalf("after setting up again: %+v", p)
	}
	wantErr(t, d.CheckPIN(ctx, u, "482913"), db.EINVALID, "Wrong PIN")
	if err := d.CheckPIN(ctx, u, "739164"); err != nil {
		t.Fatalf("new PIN: %v", err)
	}
	if err := d.ActivatePayments(ctx, u, lastCode(t, d, u)); err != nil {
		t.Fatal(err)
	}
}

type failingNotifier struct{}

func (failingNotifier) Notify(context.Context, db.Notification) error {
	return errors.New("mail server down")
}

// When the code cannot be sent, the setup is kept and a new code can be asked for.
func TestSetupPaymentsNotifierDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	u := payGuest(t, d, "Sam")
	p, err := d.SetupPayments(ctx, u, paySandbox(t), failingNotifier{}, goodSetup("4242424242424242", "482913"))
	wantErr(t, err, db.EUNAVAILABLE, "Ask for a new code")
	if p.Last4 != "4242" {
		t.Fatalf("profile = %+v; want the saved one", p)
	}
	wantErr(t, d.ResendActivation(ctx, u, failingNotifier{}), db.EUNAVAILABLE, "could not be sent")
	if err := d.ResendActivation(ctx, u, n); err != nil {
		t.Fatal(err)
	}
	if err := d.ActivatePayments(ctx, u, lastCode(t, d, u)); err != nil {
		t.Fatal(err)
	}
}

// At most 10 codes an hour go to one person.
func TestActivationCodesAreLimited(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	u, _ := setUp(t, d, n, "482913")
	for range 9 {
		if err := d.ResendActivation(ctx, u, n); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, d.ResendActivation(ctx, u, n), db.ETOOMANY, "Too many codes")
	wantErr(t, d.ResendActivation(ctx, payGuest(t, d, "Nobody"), n), db.ENOTFOUND, "Set up payments")
}

func TestPaymentSetupProblems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		edit  func(*db.PaymentSetup)
		field string
		want  string
	}{
		{"fine", func(*db.PaymentSetup) {}, "", ""},
		{"no legal name", func(s *db.PaymentSetup) { s.LegalName = "  " }, "legal_name", "legal_name_required"},
		{"long legal name", func(s *db.PaymentSetup) { s.LegalName = strings.Repeat("é", 101) }, "legal_name", "legal_name_long"},
		{"no contact", func(s *db.PaymentSetup) { s.Contact = "" }, "contact", "contact_required"},
		{"bad contact", func(s *db.PaymentSetup) { s.Contact = "sam@example" }, "contact", "contact_invalid"},
		{"bad contact 2", func(s *db.PaymentSetup) { s.Contact = "Sam <sam@example.com>" }, "contact", "contact_invalid"},
		{"short PIN", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "48291", "48291" }, "pin", "pin_format"},
		{"long PIN", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "4829135", "4829135" }, "pin", "pin_format"},
		{"letters", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "48a913", "48a913" }, "pin", "pin_format"},
		{"other digits", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "４８２９１３", "４８２９１３" }, "pin", "pin_format"},
		{"mismatch", func(s *db.PaymentSetup) { s.PINConfirm = "482914" }, "pin_confirm", "pin_mismatch"},
		{"000000", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "000000", "000000" }, "pin", "pin_too_simple"},
		{"111111", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "111111", "111111" }, "pin", "pin_too_simple"},
		{"123456", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "123456", "123456" }, "pin", "pin_too_simple"},
		{"654321", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "654321", "654321" }, "pin", "pin_too_simple"},
		{"789012", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "789012", "789012" }, "pin", "pin_too_simple"},
		{"121212", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "121212", "121212" }, "pin", "pin_too_simple"},
		{"123123", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "123123", "123123" }, "pin", "pin_too_simple"},
		{"112233", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "112233", "112233" }, "pin", "pin_too_simple"},
		{"123321", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "123321", "123321" }, "pin", "pin_too_simple"},
		{"147258", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "147258", "147258" }, "pin", "pin_too_simple"},
		{"159753", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "159753", "159753" }, "pin", "pin_too_simple"},
		{"102030", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "102030", "102030" }, "pin", "pin_too_simple"},
		{"111222", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "111222", "111222" }, "pin", "pin_too_simple"},
		{"000001", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "000001", "000001" }, "pin", "pin_too_simple"},
		{"100000", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "100000", "100000" }, "pin", "pin_too_simple"},
		{"135791", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "135791", "135791" }, "pin", "pin_too_simple"},
		{"998877", func(s *db.PaymentSetup) { s.PIN, s.PINConfirm = "998877", "998877" }, "pin", "pin_too_simple"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := goodSetup("4242 4242 4242 4242", "482913")
			tc.edit(&s)
			got := s.Problems()
			if tc.field == "" {
				if len(got) != 0 {
					t.Fatalf("problems = %v; want none", got)
				}
				return
			}
			if got[tc.field] != tc.want {
				t.Fatalf("problems = %v; want %s: %s", got, tc.field, tc.want)
			}
		})
	}
	// Typed values come back trimmed.
	s := goodSetup("4242 4242 4242 4242", " 482913 ")
	s.LegalName = "  Sam   Martin "
	if p := s.Problems(); len(p) != 0 || s.LegalName != "Sam Martin" || s.Contact != "sam@example.com" || s.PIN != "482913" {
		t.Fatalf("problems %v, setup %+v", p, s)
	}
}

func TestPaymentProfileNotFound(t *testing.T) {
	t.Parallel()
	d, _ := payStore(t)
	_, err := d.PaymentProfile(context.Background(), payGuest(t, d, "Sam"))
	wantErr(t, err, db.ENOTFOUND, "Set up payments")
	_, _, err = d.PINStatus(context.Background(), 424242)
	wantErr(t, err, db.ENOTFOUND, "not found")
}
