package db

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// Refusals of this file (worded in views/refusals_text.go).
var (
	errSignupForm   = NewReason(EINVALID, "signup.form")
	errEmailTaken   = NewReason(ECONFLICT, "email.taken")
	errLoginWrong   = NewReason(EUNAUTHORIZED, "login.wrong")
	errFormProblems = NewReason(EINVALID, "form.problems")
	errAlreadyKept  = NewReason(ECONFLICT, "account.already_kept")
)

// User is a person: a full account, or a guest known only by a session.
type User struct {
	ID          int64
	DisplayName string
	Email       string
	IsGuest     bool
	Locale      string
	CreatedAt   time.Time
}

type userRow struct {
	ID           int64     `db:"id"`
	DisplayName  string    `db:"display_name"`
	Email        *string   `db:"email"`
	PasswordHash *string   `db:"password_hash"`
	IsGuest      bool      `db:"is_guest"`
	Locale       string    `db:"locale"`
	CreatedAt    time.Time `db:"created_at"`
}

func (r userRow) user() User {
	u := User{ID: r.ID, DisplayName: r.DisplayName, IsGuest: r.IsGuest, Locale: r.Locale, CreatedAt: r.CreatedAt}
	if r.Email != nil {
		u.Email = *r.Email
	}
	return u
}

const userColumns = `id, display_name, email, password_hash, is_guest, locale, created_at`

// SignUp is what a person types to create an account.
type SignUp struct {
	DisplayName string
	Email       string
	Password    string
	Locale      string
}

// Problems checks the sign-up and returns a message per field that is wrong.
func (s *SignUp) Problems() map[string]string {
	p := map[string]string{}
	s.DisplayName = strings.TrimSpace(s.DisplayName)
	s.Email = strings.ToLower(strings.TrimSpace(s.Email))
	if msg := checkDisplayName(s.DisplayName); msg != "" {
		p["name"] = msg
	}
	if msg := checkEmail(s.Email); msg != "" {
		p["email"] = msg
	}
	if n := utf8.RuneCountInString(s.Password); n < 8 {
		p["password"] = "password_short"
	} else if n > 200 {
		p["password"] = "password_long"
	}
	return p
}

// Problem keys are translated by the views; they are stable identifiers.
func checkDisplayName(name string) string {
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return "name_required"
	case n > 60:
		return "name_long"
	}
	return ""
}

func checkEmail(email string) string {
	if email == "" {
		return "email_required"
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") {
		return "email_invalid"
	}
	return ""
}

// CreateUser creates a full account. A taken email is a conflict.
func (d *DB) CreateUser(ctx context.Context, s SignUp) (User, error) {
	if p := s.Problems(); len(p) > 0 {
		return User{}, errSignupForm.New()
	}
	hash, err := hashSecret(ctx, s.Password, "")
	if err != nil {
		return User{}, err
	}
	var r userRow
	err = d.x.GetContext(ctx, &r, `INSERT INTO users (display_name, email, password_hash, locale)
		VALUES ($1, $2, $3, $4) RETURNING `+userColumns, s.DisplayName, s.Email, hash, normLocale(s.Locale))
	if err != nil {
		if ErrorCode(mapErr(err, "")) == ECONFLICT {
			return User{}, errEmailTaken.New()
		}
		return User{}, err
	}
	return r.user(), nil
}

// CreateGuest creates a guest account known only by its display name.
func (d *DB) CreateGuest(ctx context.Context, displayName, locale string) (User, error) {
	displayName = strings.TrimSpace(displayName)
	if msg := checkDisplayName(displayName); msg != "" {
		return User{}, Errorf(EINVALID, "%s", msg)
	}
	var r userRow
	err := d.x.GetContext(ctx, &r, `INSERT INTO users (display_name, is_guest, locale)
		VALUES ($1, true, $2) RETURNING `+userColumns, displayName, normLocale(locale))
	return r.user(), err
}

// Authenticate returns the user with this email and password. A wrong email
// and a wrong password give the same error, after the same work.
func (d *DB) Authenticate(ctx context.Context, email, password string) (User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var r userRow
	err := d.x.GetContext(ctx, &r, `SELECT `+userColumns+` FROM users WHERE email = $1`, email)
	if err != nil && ErrorCode(mapErr(err, "")) != ENOTFOUND {
		return User{}, err
	}
	hash := ""
	if r.PasswordHash != nil {
		hash = *r.PasswordHash
	}
	ok, err := checkSecret(ctx, password, "", hash)
	if err != nil {
		return User{}, err
	}
	if !ok || r.ID == 0 {
		return User{}, errLoginWrong.New()
	}
	return r.user(), nil
}

// UserByID returns one user.
func (d *DB) UserByID(ctx context.Context, id int64) (User, error) {
	var r userRow
	err := d.x.GetContext(ctx, &r, `SELECT `+userColumns+` FROM users WHERE id = $1`, id)
	return r.user(), mapErr(err, "user")
}

// SetLocale records the language a user chose.
func (d *DB) SetLocale(ctx context.Context, userID int64, locale string) error {
	_, err := d.x.ExecContext(ctx, `UPDATE users SET locale = $2 WHERE id = $1`, userID, normLocale(locale))
	return err
}

func normLocale(l string) string {
	switch l {
	case "en", "fr":
		return l
	}
	return ""
}

// KeepAccount turns a guest into a full account by adding an email and
// password, so the person can log in on another device.
func (d *DB) KeepAccount(ctx context.Context, userID int64, email, password string) (User, error) {
	s := SignUp{DisplayName: "x", Email: email, Password: password}
	if p := s.Problems(); len(p) > 0 {
		return User{}, errFormProblems.New()
	}
	hash, err := hashSecret(ctx, s.Password, "")
	if err != nil {
		return User{}, err
	}
	var r userRow
	var threads []int64
	err = d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &r, `UPDATE users SET email = $2, password_hash = $3, is_guest = false
			WHERE id = $1 AND is_guest RETURNING `+userColumns, userID, s.Email, hash); err != nil {
			return err
		}
		// No longer a guest: the members lists of their threads change.
		if err := tx.SelectContext(ctx, &threads, `SELECT group_id FROM group_members WHERE user_id = $1 ORDER BY group_id`, userID); err != nil {
			return err
		}
		for _, g := range threads {
			if err := addEvent(ctx, tx, g, EventMembers, 0, 0); err != nil {
				return err
			}
		}
		return nil
	})
	switch ErrorCode(mapErr(err, "user")) {
	case "":
		return r.user(), nil
	case ECONFLICT:
		return User{}, errEmailTaken.New()
	case ENOTFOUND:
		return User{}, errAlreadyKept.New()
	}
	return User{}, err
}
