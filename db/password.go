package db

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's memory-hard minimum (19 MiB, 2 passes).
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// hashSecret returns an encoded Argon2id hash of secret (with pepper mixed in).
func hashSecret(ctx context.Context, secret, pepper string) (string, error) {
	salt := make([]byte, 16)
	rand.Read(salt)
	var key []byte
	if err := hashers.run(ctx, func() {
		key = argon2.IDKey([]byte(pepper+secret), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	}); err != nil {
		return "", err
	}
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// checkSecret reports whether secret matches encoded. It runs the hash even
// for a malformed or empty encoding, so timing does not tell whether an
// account exists.
func checkSecret(ctx context.Context, secret, pepper, encoded string) (bool, error) {
	var (
		m       uint32 = argonMemory
		t       uint32 = argonTime
		p       uint8  = argonThreads
		salt           = make([]byte, 16)
		want           = make([]byte, argonKeyLen)
		ok             = false
		version int
	)
	parts := strings.Split(encoded, "$")
	if len(parts) == 6 && parts[1] == "argon2id" {
		_, e1 := fmt.Sscanf(parts[2], "v=%d", &version)
		_, e2 := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p)
		s, e3 := base64.RawStdEncoding.DecodeString(parts[4])
		k, e4 := base64.RawStdEncoding.DecodeString(parts[5])
		if e1 == nil && e2 == nil && e3 == nil && e4 == nil && len(k) > 0 && m <= 256*1024 && t <= 10 {
			salt, want, ok = s, k, true
		}
	}
	var got []byte
	if err := hashers.run(ctx, func() { got = argon2.IDKey([]byte(pepper+secret), salt, t, m, p, uint32(len(want))) }); err != nil {
		return false, err
	}
	return ok && subtle.ConstantTimeCompare(got, want) == 1, nil
}
