package db

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// SetLinkKeys sets the secrets invite and pay-link tokens are derived from;
// the first makes new tokens' display, all are tried when showing old ones.
func (d *DB) SetLinkKeys(keys []string) {
	d.linkKeys = nil
	for _, k := range keys {
		m := hmac.New(sha256.New, []byte(k))
		m.Write([]byte("divvy link tokens"))
		d.linkKeys = append(d.linkKeys, m.Sum(nil))
	}
}

// tokenFor derives a link token from a stored nonce.
func tokenFor(key, nonce []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(nonce)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16]) // 128 bits
}

// showToken recomputes the token whose hash is stored, trying every key so
// links survive a key rotation.
func (d *DB) showToken(nonce, hash []byte) string {
	for _, k := range d.linkKeys {
		t := tokenFor(k, nonce)
		if hmac.Equal(hashToken(t), hash) {
			return t
		}
	}
	return ""
}

func (d *DB) newLink() (nonce []byte, token string) {
	if len(d.linkKeys) == 0 {
		panic("db: SetLinkKeys was not called")
	}
	nonce = make([]byte, 16)
	rand.Read(nonce)
	return nonce, tokenFor(d.linkKeys[0], nonce)
}
