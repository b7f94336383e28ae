package db

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"
)

// A right PIN is remembered for a while in the process's memory, so that a
// person paying again types it and is answered without another Argon2id
// hash: the hash is what a payment with the PIN waited for (one niced
// thread per spare core, about 27 ms a hash), while the database keeps the
// Argon2id hash alone, as before. What is remembered is a tag, an HMAC
// under a key made at start and never stored, of the person, the pepper,
// the stored hash and the PIN: a new PIN (a new hash) or another pepper
// never matches an old tag, and a wrong PIN never matches at all, so it is
// hashed, and counted, as before. A try is still taken before the tag is
// looked at (payments locked, tries left), and a right PIN answered from
// memory resets the wrong tries like any right PIN.
//
// The tags are in memory only: a copy of the database has nothing more
// than before. Someone reading the process's memory could try every PIN of
// a remembered person against its tag in about a second; they would also
// find the pepper there and every PIN typed while they read. See README,
// "PINs".
const (
	pinMemoryTTL = 15 * time.Minute // how long a right PIN is remembered
	pinMemoryMax = 50_000           // people remembered at most (about 100 bytes each)
)

type pinMemory struct {
	once sync.Once
	key  [32]byte
	mu   sync.Mutex
	tags map[int64]pinTag
	now  func() time.Time // time.Now; tests move it
	// hashed counts the PIN checks that ran Argon2id (tests read it).
	hashed atomic.Int64
}

type pinTag struct {
	sum   [sha256.Size]byte
	until time.Time
}

func (m *pinMemory) init() {
	m.once.Do(func() {
		rand.Read(m.key[:])
		m.tags = map[int64]pinTag{}
		if m.now == nil {
			m.now = time.Now
		}
	})
}

// tag is the HMAC of one person's PIN as checked against one stored hash.
func (m *pinMemory) tag(userID int64, pepper, hash, pin string) [sha256.Size]byte {
	m.init()
	h := hmac.New(sha256.New, m.key[:])
	var id [8]byte
	binary.BigEndian.PutUint64(id[:], uint64(userID))
	h.Write(id[:])
	for _, s := range []string{pepper, hash, pin} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// known reports whether sum is the remembered tag of userID's right PIN.
func (m *pinMemory) known(userID int64, sum [sha256.Size]byte) bool {
	m.init()
	m.mu.Lock()
	t, ok := m.tags[userID]
	now := m.now
	m.mu.Unlock()
	return ok && now().Before(t.until) && hmac.Equal(t.sum[:], sum[:])
}

// remember keeps sum as userID's right PIN for pinMemoryTTL. When full, the
// expired tags go first, then any.
func (m *pinMemory) remember(userID int64, sum [sha256.Size]byte) {
	m.init()
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if _, ok := m.tags[userID]; !ok && len(m.tags) >= pinMemoryMax {
		for id, t := range m.tags {
			if !now.Before(t.until) {
				delete(m.tags, id)
			}
		}
		for id := range m.tags {
			if len(m.tags) < pinMemoryMax {
				break
			}
			delete(m.tags, id)
		}
	}
	m.tags[userID] = pinTag{sum: sum, until: now.Add(pinMemoryTTL)}
}
