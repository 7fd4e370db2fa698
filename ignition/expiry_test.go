package ignition

import (
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"testing"
	"time"
)

func testCert(t testing.TB, cn string, from time.Time, valid time.Duration) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: from, NotAfter: from.Add(valid)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// bootstrapIgn embeds a long-lived CA (plain) and a 24 h certificate
// (gzip-compressed, as openshift-install compresses large files).
func bootstrapIgn(t testing.TB, issued time.Time) []byte {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(testCert(t, "kubelet-signer", issued, 24*time.Hour))
	zw.Close()
	gzip := "gzip"
	file := func(path, source string, compression *string) map[string]any {
		return map[string]any{"path": path, "contents": map[string]any{"source": source, "compression": compression}}
	}
	cfg := map[string]any{
		"ignition": map[string]any{"version": "3.2.0"},
		"storage": map[string]any{"files": []any{
			file("/opt/openshift/tls/root-ca.crt", "data:text/plain;charset=utf-8;base64,"+base64.StdEncoding.EncodeToString(testCert(t, "root-ca", issued, 10*365*24*time.Hour)), nil),
			file("/opt/openshift/tls/kubelet-signer.crt", "data:;base64,"+base64.StdEncoding.EncodeToString(gz.Bytes()), &gzip),
			file("/opt/openshift/auth/kubeconfig", "data:,apiVersion%3A%20v1", nil),
		}},
	}
	raw, _ := json.Marshal(cfg)
	return raw
}

func TestCertExpiry(t *testing.T) {
	t.Parallel()
	issued := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	w, err := CertExpiry(bootstrapIgn(t, issued))
	if err != nil {
		t.Fatal(err)
	}
	if w.Count != 2 || !w.Issued.Equal(issued) || !w.Expires.Equal(issued.Add(24*time.Hour)) || w.Subject != "CN=kubelet-signer" {
		t.Fatalf("window = %+v", w)
	}
	for _, c := range []struct {
		after time.Duration
		want  Freshness
	}{
		{0, Fresh}, {11*time.Hour + 59*time.Minute, Fresh}, {12 * time.Hour, Stale},
		{23 * time.Hour, Stale}, {24 * time.Hour, Expired}, {48 * time.Hour, Expired},
	} {
		if got := w.Check(issued.Add(c.after)); got != c.want {
			t.Errorf("after %s: %s, want %s", c.after, got, c.want)
		}
	}
}

func TestCertExpiryNoCertificate(t *testing.T) {
	t.Parallel()
	if _, err := CertExpiry([]byte(`{"ignition":{"version":"3.2.0"}}`)); err == nil {
		t.Error("no certificate: no error")
	}
	if _, err := CertExpiry([]byte(`{`)); err == nil {
		t.Error("malformed: no error")
	}
}
