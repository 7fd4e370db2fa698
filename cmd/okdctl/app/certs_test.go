package app

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCertsExitStatus: okdctl certs exits 1 when a certificate expires
// within --warn, and when something could not be checked (unless
// --allow-unreachable); -o json carries the same report.
func TestCertsExitStatus(t *testing.T) {
	t.Parallel()
	spec, _ := sandboxSpec(t) // free ports: nothing another test serves is read
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
	out, errOut, code = run(t, "certs", "-f", spec, "--root", root, "--warn", "2d", "-o", "json", "--allow-unreachable")
	var rep struct {
		Warn  string `json:"warn"`
		Certs []struct {
			Name, Status string
			Flagged      bool
		} `json:"certificates"`
		Unchecked   []string `json:"unchecked"`
		CSRsChecked bool     `json:"csrsChecked"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Warn != "2d" || rep.Certs[0].Status != "ok" || rep.CSRsChecked || len(rep.Unchecked) == 0 {
		t.Fatalf("--warn 2d -o json --allow-unreachable: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code = run(t, "certs", "-f", spec, "--warn", "soon"); code != 1 || !strings.Contains(errOut, "not a threshold") {
		t.Errorf("--warn soon: exit %d %s", code, errOut)
	}
}

// TestCertsSaysWhatItCouldNotCheck: the cluster and the served endpoints
// do not answer (nothing runs): certs says so, exits 1 for it unless
// --allow-unreachable, does not claim "no pending CSR", and its summary
// names the short-lived ignition certificates instead of saying none
// expires within the threshold.
func TestCertsSaysWhatItCouldNotCheck(t *testing.T) {
	t.Parallel()
	spec, install := sandboxSpec(t)
	root := t.TempDir()
	out, errOut, code := run(t, "certs", "-f", spec, "--root", root)
	if code != 1 || !strings.Contains(out, "no certificate could be checked") || !strings.Contains(errOut, "ERROR: no certificate could be checked") {
		t.Fatalf("a fresh bastion: exit %d\n%s%s", code, out, errOut)
	}

	if err := os.MkdirAll(install, 0o755); err != nil {
		t.Fatal(err)
	}
	ign := `{"ignition":{"version":"3.2.0"},"storage":{"files":[{"path":"/opt/openshift/tls/x.crt","mode":420,` +
		`"contents":{"source":"data:text/plain;charset=utf-8;base64,` + base64.StdEncoding.EncodeToString(certExpiringIn(t, 23*time.Hour)) + `"}}]}}`
	if err := os.WriteFile(filepath.Join(install, "bootstrap.ign"), []byte(ign), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = run(t, "certs", "-f", spec, "--root", root)
	for _, want := range []string{
		"none of the 1 certificate(s) read expires within 30d apart from ignition certificates (bootstrap.ign, soonest of them), short-lived by design",
		"could not be checked (",
		"the cluster (kubelet certificates, pending CSRs): not asked",
		"API server (api.sandbox.okd.test) at 127.0.1.1:",
		"pending CSRs: not checked",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("certs output lacks %q:\n%s", want, out)
		}
	}
	for _, wrong := range []string{"no pending CSR\n", "no certificate expires within"} {
		if strings.Contains(out, wrong) {
			t.Errorf("certs says %q over rows that contradict it:\n%s", wrong, out)
		}
	}
	if code != 1 || !strings.Contains(errOut, "could not be checked (listed above): pass --allow-unreachable") {
		t.Errorf("unchecked endpoints: exit %d %s", code, errOut)
	}
	if _, errOut, code = run(t, "certs", "-f", spec, "--root", root, "--allow-unreachable"); code != 0 {
		t.Errorf("--allow-unreachable: exit %d %s", code, errOut)
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
