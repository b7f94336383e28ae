package dbtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// Authenticator is a software WebAuthn authenticator for tests: a real
// ECDSA P-256 key that answers navigator.credentials.create and .get as a
// platform authenticator with user verification would, byte for byte
// (authenticator data, client data JSON, "none" attestation in CBOR, an
// ASN.1 signature). Its fields can be changed to answer as a faulty or
// hostile one would: another origin or RP id, no user verification, a
// counter that goes backwards.
type Authenticator struct {
	Key          *ecdsa.PrivateKey
	CredentialID []byte
	RPID         string // hashed into the authenticator data
	Origin       string // written in the client data
	Counter      uint32 // the next answer's signature counter
	UserVerified bool
	UserHandle   []byte // set by Create from the options
}

// NewAuthenticator makes an authenticator for rpID and origin (as a
// browser on that origin would use it), with user verification.
func NewAuthenticator(rpID, origin string) *Authenticator {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	id := make([]byte, 32)
	rand.Read(id)
	return &Authenticator{Key: key, CredentialID: id, RPID: rpID, Origin: origin, Counter: 1, UserVerified: true}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// creationOptions is what the authenticator reads of the server's options.
type creationOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

type requestOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
	} `json:"publicKey"`
}

// ChallengeOf returns the challenge of a server's options (create or get).
func ChallengeOf(options []byte) (string, error) {
	var o requestOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return "", err
	}
	return o.PublicKey.Challenge, nil
}

func (a *Authenticator) flags(attested bool) byte {
	f := byte(0x01) // user present
	if a.UserVerified {
		f |= 0x04
	}
	if attested {
		f |= 0x40
	}
	return f
}

func (a *Authenticator) authData(attested bool) []byte {
	h := sha256.Sum256([]byte(a.RPID))
	out := append(h[:], a.flags(attested))
	out = binary.BigEndian.AppendUint32(out, a.Counter)
	if attested {
		out = append(out, make([]byte, 16)...) // AAGUID: none
		out = binary.BigEndian.AppendUint16(out, uint16(len(a.CredentialID)))
		out = append(out, a.CredentialID...)
		out = append(out, a.coseKey()...)
	}
	return out
}

// coseKey is the public key as COSE_Key in CBOR: {1: 2 (EC2), 3: -7
// (ES256), -1: 1 (P-256), -2: x, -3: y}.
func (a *Authenticator) coseKey() []byte {
	x, y := make([]byte, 32), make([]byte, 32)
	a.Key.PublicKey.X.FillBytes(x)
	a.Key.PublicKey.Y.FillBytes(y)
	out := []byte{0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01}
	out = append(out, 0x21, 0x58, 32)
	out = append(out, x...)
	out = append(out, 0x22, 0x58, 32)
	return append(out, y...)
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

// Create answers the options of navigator.credentials.create (the server's
// JSON) with a new passkey: the PublicKeyCredential as JSON, as a browser's
// script sends it.
func (a *Authenticator) Create(options []byte) (string, error) {
	var o creationOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return "", err
	}
	if o.PublicKey.Challenge == "" {
		return "", fmt.Errorf("no challenge in %s", options)
	}
	a.UserHandle, _ = base64.RawURLEncoding.DecodeString(o.PublicKey.User.ID)
	// attestationObject: {"fmt": "none", "attStmt": {}, "authData": bytes}
	auth := a.authData(true)
	att := []byte{0xa3, 0x63, 'f', 'm', 't', 0x64, 'n', 'o', 'n', 'e', 0x67, 'a', 't', 't', 'S', 't', 'm', 't', 0xa0,
		0x68, 'a', 'u', 't', 'h', 'D', 'a', 't', 'a'}
	if len(auth) < 256 { // CBOR's shortest length form
		att = append(att, 0x58, byte(len(auth)))
	} else {
		att = append(att, 0x59, byte(len(auth)>>8), byte(len(auth)))
	}
	att = append(att, auth...)
	a.Counter++
	b, err := json.Marshal(map[string]any{
		"id": b64(a.CredentialID), "rawId": b64(a.CredentialID), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64(clientData("webauthn.create", o.PublicKey.Challenge, a.Origin)),
			"attestationObject": b64(att),
			"transports":        []string{"internal"},
		},
	})
	return string(b), err
}

// Get answers the options of navigator.credentials.get with a signed
// assertion (then counts one more use).
func (a *Authenticator) Get(options []byte) (string, error) {
	challenge, err := ChallengeOf(options)
	if err != nil {
		return "", err
	}
	if challenge == "" {
		return "", fmt.Errorf("no challenge in %s", options)
	}
	return a.Sign(challenge)
}

// Sign signs an assertion of a challenge (base64url), whatever the server
// asked: to replay or misuse one.
func (a *Authenticator) Sign(challenge string) (string, error) {
	auth := a.authData(false)
	cd := clientData("webauthn.get", challenge, a.Origin)
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, auth...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.Key, digest[:])
	if err != nil {
		return "", err
	}
	a.Counter++
	resp := map[string]any{"authenticatorData": b64(auth), "clientDataJSON": b64(cd), "signature": b64(sig)}
	if a.UserHandle != nil {
		resp["userHandle"] = b64(a.UserHandle)
	}
	b, err := json.Marshal(map[string]any{
		"id": b64(a.CredentialID), "rawId": b64(a.CredentialID), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{}, "response": resp,
	})
	return string(b), err
}
