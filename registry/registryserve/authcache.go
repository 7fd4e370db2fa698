package registryserve

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/auth"
)

// The htpasswd access controller checks a bcrypt hash on every request
// (~50 ms of CPU each at bcrypt's default cost): a node pulling the
// release, or okdctl checking that every mirrored image is there, pays it
// for each request. okdctl's registry remembers credentials that passed
// for a short while instead, keyed by an HMAC with a per-process key (the
// password itself is never kept), and forgets them all when the htpasswd
// file changes.
const (
	cachedHtpasswd = "okdctl-htpasswd"
	credentialTTL  = time.Minute
)

func init() {
	// only a second registration of the name can fail; the registry's
	// start then fails naming the access controller
	_ = auth.Register(cachedHtpasswd, auth.InitFunc(newCachedHtpasswd))
}

// useCachedHtpasswd makes a config's htpasswd auth the caching one (same
// options); config.yml itself stays what the registry program reads.
func useCachedHtpasswd(cfg *configuration.Configuration) {
	if p, ok := cfg.Auth["htpasswd"]; ok {
		delete(cfg.Auth, "htpasswd")
		cfg.Auth[cachedHtpasswd] = p
	}
}

type cachingController struct {
	inner auth.AccessController
	path  string
	key   []byte
	now   func() time.Time

	mu      sync.Mutex
	modtime time.Time
	passed  map[[sha256.Size]byte]time.Time // credential HMAC -> when it passed
}

func newCachedHtpasswd(options map[string]any) (auth.AccessController, error) {
	inner, err := auth.GetAccessController("htpasswd", options)
	if err != nil {
		return nil, err
	}
	path, _ := options["path"].(string)
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("failed to make the credential cache key: %w", err)
	}
	return &cachingController{inner: inner, path: path, key: key, now: time.Now, passed: map[[sha256.Size]byte]time.Time{}}, nil
}

// Authorized implements auth.AccessController: credentials that passed the
// htpasswd check within credentialTTL, with the file unchanged since,
// pass again without bcrypt; anything else goes to the htpasswd controller.
func (c *cachingController) Authorized(req *http.Request, access ...auth.Access) (*auth.Grant, error) {
	user, pass, ok := req.BasicAuth()
	if !ok {
		return c.inner.Authorized(req, access...)
	}
	fi, err := os.Stat(c.path)
	if err != nil {
		return c.inner.Authorized(req, access...)
	}
	mac := hmac.New(sha256.New, c.key)
	fmt.Fprintf(mac, "%d:%s:%s", len(user), user, pass)
	var id [sha256.Size]byte
	copy(id[:], mac.Sum(nil))
	now := c.now()
	c.mu.Lock()
	if !fi.ModTime().Equal(c.modtime) {
		c.modtime, c.passed = fi.ModTime(), map[[sha256.Size]byte]time.Time{}
	}
	at, hit := c.passed[id]
	c.mu.Unlock()
	if hit && now.Sub(at) < credentialTTL {
		return &auth.Grant{User: auth.UserInfo{Name: user}}, nil
	}
	grant, err := c.inner.Authorized(req, access...)
	if err == nil {
		c.mu.Lock()
		if fi.ModTime().Equal(c.modtime) {
			c.passed[id] = now
		}
		c.mu.Unlock()
	}
	return grant, err
}
