package registry

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"
)

// CheckCA reports why kp cannot serve as okdctl's CA at now; nil means it can.
func CheckCA(kp *KeyPair, now time.Time) error {
	c := kp.Cert
	switch {
	case !c.BasicConstraintsValid || !c.IsCA:
		return errors.New("the certificate is not a CA")
	case c.KeyUsage&x509.KeyUsageCertSign == 0:
		return errors.New("the CA may not sign certificates (no keyCertSign usage)")
	case now.Before(c.NotBefore):
		return fmt.Errorf("the CA is not valid before %s", c.NotBefore.UTC().Format(time.RFC3339))
	case c.NotAfter.Sub(now) < RenewBefore:
		return fmt.Errorf("the CA expires on %s", c.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

// CheckLeaf reports why kp is not a usable registry certificate issued by
// ca for req at now; nil means it is.
func CheckLeaf(kp *KeyPair, ca *x509.Certificate, req LeafRequest, now time.Time) error {
	c := kp.Cert
	if c.IsCA {
		return errors.New("the server certificate is a CA")
	}
	if c.NotAfter.Sub(now) < RenewBefore {
		return fmt.Errorf("the server certificate expires on %s", c.NotAfter.UTC().Format(time.RFC3339))
	}
	if !slices.Equal(c.DNSNames, []string{req.DNSName}) {
		return fmt.Errorf("the server certificate names %v, not [%s]", c.DNSNames, req.DNSName)
	}
	ip := net.ParseIP(req.IP)
	if len(c.IPAddresses) != 1 || !c.IPAddresses[0].Equal(ip) {
		return fmt.Errorf("the server certificate has IP addresses %v, not [%s]", c.IPAddresses, req.IP)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for _, name := range []string{req.DNSName, req.IP} {
		_, err := c.Verify(x509.VerifyOptions{Roots: roots, DNSName: name, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		if err != nil {
			return fmt.Errorf("the server certificate does not verify against the CA for %s: %w", name, err)
		}
	}
	return nil
}
