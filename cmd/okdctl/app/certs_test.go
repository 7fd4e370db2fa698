package app

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/testenv"
)

// TestCertsExitStatus: okdctl certs exits 1 when a certificate expires
// within --warn, 0 otherwise, and -o json carries the same report.
func TestCertsExitStatus(t *testing.T) {
	t.Parallel()
	dir := copyExamples(t)
	spec := filepath.Join(dir, "sandbox.yaml")
	data, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	// free ports, so that nothing another test serves is read
	text := string(data)
	for _, p := range []string{"api: 16443", "machineConfig: 22623", "ingressHTTPS: 18443", "registry: 15000"} {
		name, _, _ := strings.Cut(p, ":")
		text = strings.Replace(text, p, fmt.Sprintf("%s: %d", name, testenv.FreePort(t, "127.0.1.1")), 1)
	}
	if err := os.WriteFile(spec, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	pki := filepath.Join(root, "var/lib/okdctl/sandbox/pki")
	if err := os.MkdirAll(pki, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pki, "ca.crt"), certExpiringIn(t, 5*24*time.Hour), 0o644); err != nil {
		t.Fatal(err)
	}

	out, errOut, code := run(t, "certs", "-f", spec, "--root", root)
	if code != 1 || !strings.Contains(out, "expiring  4.9") || !strings.Contains(errOut, "ERROR: 1 certificate(s) expire within the threshold") {
		t.Fatalf("default 30d: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = run(t, "certs", "-f", spec, "--root", root, "--warn", "2d", "-o", "json")
	var rep struct {
		Warn  string `json:"warn"`
		Certs []struct {
			Name, Status string
			Flagged      bool
		} `json:"certificates"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Warn != "2d" || rep.Certs[0].Status != "ok" {
		t.Fatalf("--warn 2d -o json: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code = run(t, "certs", "-f", spec, "--warn", "soon"); code != 1 || !strings.Contains(errOut, "not a threshold") {
		t.Errorf("--warn soon: exit %d %s", code, errOut)
	}
}

func certExpiringIn(t *testing.T, d time.Duration) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "okdctl CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(d), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
