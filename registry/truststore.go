package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"

	"github.com/okdctl/okdctl/bastion"
)

// TrustStore is where the bastion's system trust store takes extra CAs.
type TrustStore struct {
	// Anchor is the file okdctl's CA is written to.
	Anchor string
	// Bundle is the extracted system bundle; when it lacks the CA, Update runs.
	Bundle string
	// Update rebuilds the bundle (empty: the anchor is only written).
	Update []string
	// Links and Hooks are Debian's /etc/ssl/certs and
	// /etc/ca-certificates/update.d: with Links, a new CA is added in place
	// (addDebian) instead of running Update.
	Links, Hooks string
}

// DetectTrustStore finds the trust store layout of the bastion under paths:
// RHEL / Fedora (update-ca-trust) or Debian / Ubuntu (update-ca-certificates).
func DetectTrustStore(paths bastion.Paths, name string) (*TrustStore, error) {
	rhel := paths.Path("/etc/pki/ca-trust/source/anchors")
	if isDir(rhel) {
		return &TrustStore{
			Anchor: paths.Path("/etc/pki/ca-trust/source/anchors", name+".crt"),
			Bundle: paths.Path("/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"),
			Update: []string{"update-ca-trust", "extract"},
		}, nil
	}
	debian := paths.Path("/usr/local/share/ca-certificates")
	if _, err := exec.LookPath("update-ca-certificates"); err == nil || isDir(debian) {
		return &TrustStore{
			Anchor: paths.Path("/usr/local/share/ca-certificates", name+".crt"),
			Bundle: paths.Path("/etc/ssl/certs/ca-certificates.crt"),
			Update: []string{"update-ca-certificates"},
			Links:  paths.Path("/etc/ssl/certs"),
			Hooks:  paths.Path("/etc/ca-certificates/update.d"),
		}, nil
	}
	return nil, errors.New("no system trust store found (neither /etc/pki/ca-trust/source/anchors nor /usr/local/share/ca-certificates): install ca-certificates")
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// InstallTrust puts the CA into the trust store and rebuilds the bundle
// when the anchor changed or the bundle lacks the CA; a new anchor on
// Debian is added in place (addDebian). It reports whether anything
// changed.
func InstallTrust(ctx context.Context, h *bastion.Host, ts *TrustStore, caPEM []byte) (bool, error) {
	_, err := h.Files.ReadFile(ts.Anchor)
	added := errors.Is(err, fs.ErrNotExist)
	changed, err := h.Files.WriteFile(ts.Anchor, caPEM, 0o644)
	if err != nil {
		return false, fmt.Errorf("failed to add the CA to the trust store: %w", err)
	}
	bundle, err := h.Files.ReadFile(ts.Bundle)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return changed, fmt.Errorf("failed to read the trust bundle: %w", err)
	}
	if len(ts.Update) == 0 || !changed && bytes.Contains(bundle, pemBody(caPEM)) {
		return changed, nil
	}
	if added && !bytes.Contains(bundle, pemBody(caPEM)) {
		if done, err := addDebian(ctx, h, ts, caPEM, bundle); done || err != nil {
			return true, err
		}
	}
	if _, err := h.Runner.Run(ctx, bastion.Cmd{Name: ts.Update[0], Args: ts.Update[1:]}); err != nil {
		return true, fmt.Errorf("failed to update the trust store: %w", err)
	}
	return true, nil
}

// pemBody is the base64 of a PEM block, as bundles repeat it.
func pemBody(p []byte) []byte {
	start := bytes.Index(p, []byte("-----\n"))
	end := bytes.LastIndex(p, []byte("\n-----END"))
	if start < 0 || end <= start {
		return p
	}
	return p[start+6 : end]
}
