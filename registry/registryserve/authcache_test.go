package registryserve

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/auth"

	"github.com/okdctl/okdctl/registry"
)

// countingController counts the requests that reach the htpasswd check.
type countingController struct {
	auth.AccessController
	calls int
}

func (c *countingController) Authorized(req *http.Request, access ...auth.Access) (*auth.Grant, error) {
	c.calls++
	return c.AccessController.Authorized(req, access...)
}

// TestCachedHtpasswd: credentials that passed skip bcrypt for a minute;
// wrong ones, expired ones and any after the htpasswd file changed go to
// the htpasswd check (and a changed password no longer passes).
func TestCachedHtpasswd(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "htpasswd")
	writeHtpasswd := func(pass string) {
		data, err := registry.Htpasswd("admin", pass)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeHtpasswd("first-pass")
	cfg := &configuration.Configuration{Auth: configuration.Auth{"htpasswd": {"realm": "okdctl", "path": path}}}
	useCachedHtpasswd(cfg)
	ac, err := auth.GetAccessController(cachedHtpasswd, cfg.Auth[cachedHtpasswd])
	if err != nil || len(cfg.Auth) != 1 {
		t.Fatalf("auth %v: %v", cfg.Auth, err)
	}
	c := ac.(*cachingController)
	inner := &countingController{AccessController: c.inner}
	c.inner = inner
	now := time.Now()
	c.now = func() time.Time { return now }
	try := func(step, pass string, wantOK bool, wantCalls int) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodHead, "https://registry/v2/okd/release/manifests/x", nil)
		req.SetBasicAuth("admin", pass)
		grant, err := c.Authorized(req)
		if ok := err == nil && grant != nil && grant.User.Name == "admin"; ok != wantOK {
			t.Errorf("%s: grant %v, %v; want ok=%v", step, grant, err, wantOK)
		}
		if inner.calls != wantCalls {
			t.Errorf("%s: %d htpasswd checks so far, want %d", step, inner.calls, wantCalls)
		}
	}
	try("first", "first-pass", true, 1)
	try("again", "first-pass", true, 1)
	try("wrong password", "second-pass", false, 2)
	try("wrong password again", "second-pass", false, 3)
	now = now.Add(credentialTTL)
	try("after a minute", "first-pass", true, 4)
	try("cached again", "first-pass", true, 4)
	time.Sleep(10 * time.Millisecond) // a later modification time
	writeHtpasswd("second-pass")
	try("old password, file changed", "first-pass", false, 5)
	try("new password", "second-pass", true, 6)
	try("new password cached", "second-pass", true, 6)
	req, _ := http.NewRequest(http.MethodGet, "https://registry/v2/", nil)
	if _, err := c.Authorized(req); err == nil {
		t.Error("no credentials passed")
	}
}
