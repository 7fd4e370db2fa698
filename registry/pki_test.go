package registry

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"net"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testPKI(t *testing.T) (ca, leaf *KeyPair) {
	t.Helper()
	ca, err := NewCA("okdctl CA for okd.example", testNow)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err = NewLeaf(ca, LeafRequest{DNSName: "registry.okd.example", IP: "192.168.120.101"}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return ca, leaf
}

// reparse parses the PEM as a client would, not the in-memory struct.
func reparse(t *testing.T, kp *KeyPair) *KeyPair {
	t.Helper()
	p, err := ParseKeyPair(kp.CertPEM, kp.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCAFields(t *testing.T) {
	t.Parallel()
	ca, _ := testPKI(t)
	c := reparse(t, ca).Cert
	if !c.BasicConstraintsValid || !c.IsCA || c.MaxPathLen != 0 || !c.MaxPathLenZero {
		t.Errorf("CA basic constraints: valid=%v isCA=%v maxPathLen=%d zero=%v", c.BasicConstraintsValid, c.IsCA, c.MaxPathLen, c.MaxPathLenZero)
	}
	if c.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Errorf("CA key usage = %b, want keyCertSign|cRLSign", c.KeyUsage)
	}
	if len(c.ExtKeyUsage) != 0 {
		t.Errorf("CA has extended key usages %v", c.ExtKeyUsage)
	}
	if life := c.NotAfter.Sub(c.NotBefore); life > 10*366*24*time.Hour || life < 9*365*24*time.Hour {
		t.Errorf("CA lifetime %s, want about 10 years and no more", life)
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		t.Errorf("CA is not self-signed: %v", err)
	}
	if len(c.SubjectKeyId) == 0 || c.Subject.CommonName != "okdctl CA for okd.example" {
		t.Errorf("CA subject %q key id %x", c.Subject.CommonName, c.SubjectKeyId)
	}
	assertP256(t, c)
	if err := CheckCA(ca, testNow); err != nil {
		t.Errorf("CheckCA: %v", err)
	}
	var crit bool
	for _, ext := range c.Extensions {
		if ext.Id.Equal([]int{2, 5, 29, 19}) {
			crit = ext.Critical
		}
	}
	if !crit {
		t.Error("basicConstraints is not critical")
	}
}

func assertP256(t *testing.T, c *x509.Certificate) {
	t.Helper()
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() || c.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("%s key is %T (%v), want ECDSA P-256", c.Subject.CommonName, c.PublicKey, c.PublicKeyAlgorithm)
	}
	if c.SignatureAlgorithm != x509.ECDSAWithSHA256 {
		t.Errorf("%s signature algorithm %v", c.Subject.CommonName, c.SignatureAlgorithm)
	}
}

func TestLeafFields(t *testing.T) {
	t.Parallel()
	ca, leaf := testPKI(t)
	c := reparse(t, leaf).Cert
	if !c.BasicConstraintsValid || c.IsCA {
		t.Errorf("leaf basic constraints valid=%v isCA=%v, want CA:FALSE", c.BasicConstraintsValid, c.IsCA)
	}
	if c.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("leaf key usage %b, want digitalSignature only (ECDSA)", c.KeyUsage)
	}
	if len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
		t.Errorf("leaf EKU %v, want serverAuth", c.ExtKeyUsage)
	}
	if len(c.DNSNames) != 1 || c.DNSNames[0] != "registry.okd.example" {
		t.Errorf("DNS SANs %v", c.DNSNames)
	}
	if len(c.IPAddresses) != 1 || !c.IPAddresses[0].Equal(net.ParseIP("192.168.120.101")) {
		t.Errorf("IP SANs %v", c.IPAddresses)
	}
	if life := c.NotAfter.Sub(c.NotBefore); life > 366*24*time.Hour+2*time.Hour || life < 364*24*time.Hour {
		t.Errorf("leaf lifetime %s, want about a year", life)
	}
	if !c.NotBefore.Before(testNow) || !c.NotAfter.After(testNow) {
		t.Errorf("leaf not valid now: %s .. %s", c.NotBefore, c.NotAfter)
	}
	if string(c.AuthorityKeyId) != string(ca.Cert.SubjectKeyId) || c.Issuer.String() != ca.Cert.Subject.String() {
		t.Errorf("leaf issuer %q aki %x, CA %q ski %x", c.Issuer, c.AuthorityKeyId, ca.Cert.Subject, ca.Cert.SubjectKeyId)
	}
	assertP256(t, c)
	if err := CheckLeaf(leaf, ca.Cert, LeafRequest{DNSName: "registry.okd.example", IP: "192.168.120.101"}, testNow); err != nil {
		t.Errorf("CheckLeaf: %v", err)
	}
}

func TestLeafVerifiesByNameAndIP(t *testing.T) {
	t.Parallel()
	ca, leaf := testPKI(t)
	roots := x509.NewCertPool()
	roots.AddCert(reparse(t, ca).Cert)
	c := reparse(t, leaf).Cert
	for _, name := range []string{"registry.okd.example", "192.168.120.101"} {
		opts := x509.VerifyOptions{Roots: roots, DNSName: name, CurrentTime: testNow,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		if _, err := c.Verify(opts); err != nil {
			t.Errorf("verify as %s: %v", name, err)
		}
	}
	for _, name := range []string{"api.okd.example", "192.168.120.102", "okd.example"} {
		if _, err := c.Verify(x509.VerifyOptions{Roots: roots, DNSName: name, CurrentTime: testNow}); err == nil {
			t.Errorf("leaf verifies for %s, which it does not name", name)
		}
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: roots, DNSName: "registry.okd.example", CurrentTime: testNow.Add(400 * 24 * time.Hour)}); err == nil {
		t.Error("leaf still verifies after 400 days")
	}
}

func TestLeafCannotActAsCA(t *testing.T) {
	t.Parallel()
	ca, leaf := testPKI(t)
	// A certificate "issued" by the leaf must not verify through it.
	forged, err := NewLeaf(leaf, LeafRequest{DNSName: "evil.example", IP: "127.0.0.9"}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	inter := x509.NewCertPool()
	inter.AddCert(leaf.Cert)
	_, err = forged.Cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: "evil.example", CurrentTime: testNow})
	if err == nil {
		t.Fatal("a certificate signed by the registry's leaf verifies: the leaf acts as a CA")
	}
	if err := CheckCA(leaf, testNow); err == nil {
		t.Error("CheckCA accepts the leaf")
	}
	// The CA's path length 0 forbids intermediates below it, too.
	if !ca.Cert.MaxPathLenZero || leaf.Cert.IsCA {
		t.Error("the CA allows intermediates or the leaf is a CA")
	}
}

func TestCheckLeafRejects(t *testing.T) {
	t.Parallel()
	ca, leaf := testPKI(t)
	other, _ := NewCA("other", testNow)
	req := LeafRequest{DNSName: "registry.okd.example", IP: "192.168.120.101"}
	cases := []struct {
		name string
		ca   *x509.Certificate
		req  LeafRequest
		now  time.Time
		want string
	}{
		{"other name", ca.Cert, LeafRequest{DNSName: "registry.lab.example", IP: req.IP}, testNow, "names"},
		{"other IP", ca.Cert, LeafRequest{DNSName: req.DNSName, IP: "192.168.120.1"}, testNow, "IP addresses"},
		{"other CA", other.Cert, req, testNow, "does not verify"},
		{"near expiry", ca.Cert, req, testNow.Add(340 * 24 * time.Hour), "expires"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckLeaf(leaf, c.ca, c.req, c.now)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("CheckLeaf = %v, want an error containing %q", err, c.want)
			}
		})
	}
	if err := CheckCA(ca, testNow.Add(CALifetime-RenewBefore/2)); err == nil {
		t.Error("CheckCA accepts a CA about to expire")
	}
}

func TestParseKeyPairMismatch(t *testing.T) {
	t.Parallel()
	ca, leaf := testPKI(t)
	if _, err := ParseKeyPair(leaf.CertPEM, ca.KeyPEM); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("mismatched pair: %v", err)
	}
}
