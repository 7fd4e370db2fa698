package webserver

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// File is one published file and what it must be served as.
type File struct {
	// URLPath is the path under the base URL, e.g. /ignition/master.ign.
	URLPath string
	// Local is the file whose bytes must be served (optional when SHA512 is given).
	Local string
	// SHA512 ("sha512-<hex>" or hex), when known, must match too: it is
	// what coreos-installer's --ignition-hash will demand.
	SHA512 string
}

// Refused are paths that must never answer 200: listings of the web root
// and its trees, and paths outside them.
var Refused = []string{"/", "/ignition/", "/install/", "/ignition/../", "/auth/", "/auth/kubeconfig",
	"/ignition/../../etc/passwd", "/.okdctl", "/install/.part", "/ignition/auth/kubeconfig", "/ignition/node.key"}

// Verifier checks a web server from outside: it needs only its base URL.
type Verifier struct {
	BaseURL string
	Client  *http.Client
}

func (v *Verifier) client() *http.Client {
	if v.Client != nil {
		return v.Client
	}
	return &http.Client{Timeout: 10 * time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // a redirect is not the file
	}}
}

// Files checks that every file answers 200 with the expected bytes.
func (v *Verifier) Files(ctx context.Context, files []File) error {
	var errs []error
	for _, f := range files {
		if err := v.file(ctx, f); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (v *Verifier) file(ctx context.Context, f File) error {
	u := v.BaseURL + f.URLPath
	served, status, err := v.sha512(ctx, u)
	if err != nil {
		return fmt.Errorf("failed to fetch %s: %w", u, err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("%s answers %d, want 200", u, status)
	}
	want := strings.TrimPrefix(f.SHA512, "sha512-")
	if f.Local != "" {
		local, err := fileSHA512(f.Local)
		if err != nil {
			return fmt.Errorf("failed to read %s: %w", f.Local, err)
		}
		if want != "" && want != local {
			return fmt.Errorf("%s has sha512 %s, but sha512-%s was recorded for it: publish and record them again (okdctl apply --force ignition)", f.Local, local, want)
		}
		want = local
	}
	if served != want {
		return fmt.Errorf("%s serves sha512 %s, want %s", u, served, want)
	}
	return nil
}

// Refusals checks that none of paths answers 200.
func (v *Verifier) Refusals(ctx context.Context, paths []string) error {
	var errs []error
	for _, p := range paths {
		_, status, err := v.sha512(ctx, v.BaseURL+p)
		if err != nil {
			errs = append(errs, fmt.Errorf("failed to fetch %s: %w", v.BaseURL+p, err))
		} else if status < 300 {
			errs = append(errs, fmt.Errorf("%s answers %d: it must be refused", v.BaseURL+p, status))
		}
	}
	return errors.Join(errs...)
}

// Fetch gets url and returns the sha512 (hex) of the body and the status
// (redirects are not followed: a redirect is not the file).
func (v *Verifier) Fetch(ctx context.Context, url string) (string, int, error) {
	return v.sha512(ctx, url)
}

func (v *Verifier) sha512(ctx context.Context, url string) (string, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", 0, err
	}
	resp, err := v.client().Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	h := sha512.New()
	if _, err := io.Copy(h, resp.Body); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), resp.StatusCode, nil
}

func fileSHA512(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha512.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
