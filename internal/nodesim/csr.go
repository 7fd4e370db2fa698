package nodesim

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"net"
	"net/url"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
)

// CSR describes a certificate signing request to make.
type CSR struct {
	Signer string
	CN     string
	O      []string
	DNS    []string
	IPs    []net.IP
	Emails []string
	URIs   []*url.URL
	Usages []certv1.KeyUsage
}

// Usage sets of a kubelet's requests.
var (
	ClientUsages  = []certv1.KeyUsage{certv1.UsageDigitalSignature, certv1.UsageKeyEncipherment, certv1.UsageClientAuth}
	ServingUsages = []certv1.KeyUsage{certv1.UsageDigitalSignature, certv1.UsageKeyEncipherment, certv1.UsageServerAuth}
)

// Create makes the CSR with c's identity; it returns the created object and the key in PEM.
func Create(ctx context.Context, c kubernetes.Interface, r CSR) (*certv1.CertificateSigningRequest, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: r.CN, Organization: r.O},
		DNSNames: r.DNS, IPAddresses: r.IPs, EmailAddresses: r.Emails, URIs: r.URIs,
	}, key)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to build CSR: %w", err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	obj := &certv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "csr-"},
		Spec: certv1.CertificateSigningRequestSpec{
			Request:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
			SignerName: r.Signer, Usages: r.Usages,
		},
	}
	created, err := c.CertificatesV1().CertificateSigningRequests().Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("failed to create CSR for %s: %w", r.CN, err)
	}
	return created, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}

// WaitIssued watches a CSR until it is approved and carries a certificate;
// it returns the certificate and when approval was first seen.
func WaitIssued(ctx context.Context, c kubernetes.Interface, name string) ([]byte, time.Time, error) {
	api := c.CertificatesV1().CertificateSigningRequests()
	var approvedAt time.Time
	for ctx.Err() == nil {
		w, err := api.Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()})
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for ev := range w.ResultChan() {
			csr, ok := ev.Object.(*certv1.CertificateSigningRequest)
			if !ok {
				continue
			}
			if state := condition(csr); state == certv1.CertificateDenied || state == certv1.CertificateFailed {
				w.Stop()
				return nil, approvedAt, fmt.Errorf("CSR %s was %s", name, state)
			} else if state == certv1.CertificateApproved && approvedAt.IsZero() {
				approvedAt = time.Now()
			}
			if len(csr.Status.Certificate) > 0 {
				w.Stop()
				return csr.Status.Certificate, approvedAt, nil
			}
		}
	}
	return nil, approvedAt, fmt.Errorf("CSR %s not issued: %w", name, ctx.Err())
}

// condition is the CSR's Approved, Denied or Failed condition type, or "".
func condition(c *certv1.CertificateSigningRequest) certv1.RequestConditionType {
	for _, cond := range c.Status.Conditions {
		if cond.Status == corev1.ConditionTrue {
			switch cond.Type {
			case certv1.CertificateApproved, certv1.CertificateDenied, certv1.CertificateFailed:
				return cond.Type
			}
		}
	}
	return ""
}
