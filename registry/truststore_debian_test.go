package registry

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
)

// selfSigned is a CA certificate with the given subject.
func selfSigned(t *testing.T, subject pkix.Name) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: subject,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is needed (Debian package ca-certificates / openssl: run make tools): %v", name, err)
	}
}

// TestSubjectHash compares subjectHash with OpenSSL's own on subjects
// that need its canonical form: case, runs of whitespace, UTF-8, several RDNs.
func TestSubjectHash(t *testing.T) {
	t.Parallel()
	needTool(t, "openssl")
	ca, err := NewCA("okdctl okd.example registry CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	certs := map[string][]byte{
		"okdctl CA":       ca.CertPEM,
		"case and spaces": selfSigned(t, pkix.Name{CommonName: "  Lab   Registry\tCA  ", Organization: []string{"OKDCTL"}}),
		"utf-8":           selfSigned(t, pkix.Name{CommonName: "Zürich CA", Locality: []string{"ZÜRICH"}}),
		"several RDNs": selfSigned(t, pkix.Name{Country: []string{"DE"}, Province: []string{"Bayern"},
			OrganizationalUnit: []string{"Ops", "Lab"}, CommonName: "X"}),
	}
	for name, p := range certs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := filepath.Join(t.TempDir(), "c.pem")
			if err := os.WriteFile(f, p, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("openssl", "x509", "-noout", "-subject_hash", "-in", f).Output()
			if err != nil {
				t.Fatal(err)
			}
			got, err := subjectHashPEM(p)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimSpace(string(out)); fmt.Sprintf("%08x", got) != want {
				t.Errorf("subject hash %08x, openssl says %s", got, want)
			}
		})
	}
}

// debianLayout is a Debian trust store in a temporary directory, set up
// by the real update-ca-certificates with two system CAs.
type debianLayout struct{ base, certs, local, etc, hooks, conf string }

func newDebianLayout(t *testing.T) *debianLayout {
	t.Helper()
	b := t.TempDir()
	l := &debianLayout{base: b, certs: filepath.Join(b, "share"), local: filepath.Join(b, "local"),
		etc: filepath.Join(b, "etc"), hooks: filepath.Join(b, "hooks"), conf: filepath.Join(b, "ca-certificates.conf")}
	for _, d := range []string{l.certs, l.local, l.etc, l.hooks} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var conf []string
	for i, cn := range []string{"System Root A", "System Root B"} {
		name := fmt.Sprintf("root%d.crt", i)
		if err := os.WriteFile(filepath.Join(l.certs, name), selfSigned(t, pkix.Name{CommonName: cn}), 0o644); err != nil {
			t.Fatal(err)
		}
		conf = append(conf, name)
	}
	if err := os.WriteFile(l.conf, []byte(strings.Join(conf, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l.update(t, l.etc)
	return l
}

// update runs the real update-ca-certificates on the layout, into etc.
func (l *debianLayout) update(t *testing.T, etc string) {
	t.Helper()
	cmd := exec.Command("update-ca-certificates", "--certsconf", l.conf, "--certsdir", l.certs,
		"--localcertsdir", l.local, "--etccertsdir", etc, "--hooksdir", l.hooks)
	cmd.Env = append(os.Environ(), "TMPDIR="+l.base)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("update-ca-certificates: %v\n%s", err, out)
	}
}

// state lists etc's links (name -> target) and its bundle.
func state(t *testing.T, etc string) string {
	t.Helper()
	entries, err := os.ReadDir(etc)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range entries {
		if target, err := os.Readlink(filepath.Join(etc, e.Name())); err == nil {
			lines = append(lines, e.Name()+" -> "+target)
		}
	}
	sort.Strings(lines)
	bundle, err := os.ReadFile(filepath.Join(etc, "ca-certificates.crt"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n") + "\n" + string(bundle)
}

// TestInstallTrustDebianInPlace: a new CA added in place leaves exactly
// what update-ca-certificates leaves (links, hash link, bundle), without
// running it; with a hook to tell, the tool runs.
func TestInstallTrustDebianInPlace(t *testing.T) {
	t.Parallel()
	needTool(t, "update-ca-certificates")
	needTool(t, "openssl")
	l := newDebianLayout(t)
	ca, err := NewCA("okdctl okd.example registry CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ts := &TrustStore{Anchor: filepath.Join(l.local, "okdctl-okd-ca.crt"), Bundle: filepath.Join(l.etc, "ca-certificates.crt"),
		Update: []string{"update-ca-certificates"}, Links: l.etc, Hooks: l.hooks}
	runner := &cmdLog{}
	h := &bastion.Host{Files: &bastion.DiskFiles{}, Runner: runner}
	if changed, err := InstallTrust(context.Background(), h, ts, ca.CertPEM); err != nil || !changed {
		t.Fatalf("InstallTrust: changed %v, %v", changed, err)
	}
	if len(runner.lines) != 0 {
		t.Errorf("a new CA ran %v", runner.lines)
	}
	// the same anchor, the tool's own result next to it
	tool := filepath.Join(l.base, "etc-by-the-tool")
	if err := exec.Command("cp", "-a", l.etc, tool).Run(); err != nil {
		t.Fatal(err)
	}
	for _, e := range []string{"okdctl-okd-ca.pem", "ca-certificates.crt"} {
		_ = os.Remove(filepath.Join(tool, e))
	}
	removeHashLinks(t, tool)
	l.update(t, tool)
	got, want := state(t, l.etc), state(t, tool)
	if got != want {
		t.Errorf("in place:\n%s\nupdate-ca-certificates:\n%s", got, want)
	}
	if !strings.Contains(want, ".0 -> okdctl-okd-ca.pem\n") || !strings.Contains(want, "okdctl-okd-ca.pem -> "+ts.Anchor) {
		t.Errorf("the tool's result lacks the CA's links:\n%s", want)
	}
	if changed, err := InstallTrust(context.Background(), h, ts, ca.CertPEM); err != nil || changed || len(runner.lines) != 0 {
		t.Errorf("second InstallTrust: changed %v, %v, commands %v", changed, err, runner.lines)
	}

	// a hook (Java's keystore, ...) must hear of a new CA: the tool runs
	l2 := newDebianLayout(t)
	if err := os.WriteFile(filepath.Join(l2.hooks, "jks-keystore"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ts2 := *ts
	ts2.Anchor, ts2.Bundle, ts2.Links, ts2.Hooks = filepath.Join(l2.local, "okdctl-okd-ca.crt"), filepath.Join(l2.etc, "ca-certificates.crt"), l2.etc, l2.hooks
	if _, err := InstallTrust(context.Background(), h, &ts2, ca.CertPEM); err != nil || len(runner.lines) != 1 {
		t.Errorf("with a hook: %v, commands %v", err, runner.lines)
	}
}

// removeHashLinks drops the OpenSSL hash links (the tool remakes them all).
func removeHashLinks(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if n := e.Name(); len(n) == 10 && n[8] == '.' {
			_ = os.Remove(filepath.Join(dir, n))
		}
	}
}
