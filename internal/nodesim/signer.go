package nodesim

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Issuer signs a certificate template with the cluster CA (testenv.CA fits).
type Issuer interface {
	Sign(tmpl *x509.Certificate, pub any) ([]byte, error)
}

// RunSigner plays kube-controller-manager's signer until ctx ends: it issues
// a certificate for every approved kubelet CSR that has none. It never
// approves anything itself.
func RunSigner(ctx context.Context, admin kubernetes.Interface, ca Issuer) {
	f := informers.NewSharedInformerFactory(admin, 0)
	inf := f.Certificates().V1().CertificateSigningRequests().Informer()
	work := make(chan *certv1.CertificateSigningRequest, 1024)
	enqueue := func(o any) {
		if c, ok := o.(*certv1.CertificateSigningRequest); ok && condition(c) == certv1.CertificateApproved && len(c.Status.Certificate) == 0 {
			work <- c.DeepCopy()
		}
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, o any) { enqueue(o) },
	})
	f.Start(ctx.Done())
	go func() {
		defer f.Shutdown()
		for {
			select {
			case <-ctx.Done():
				return
			case c := <-work:
				_ = sign(ctx, admin, ca, c)
			}
		}
	}()
}

func sign(ctx context.Context, admin kubernetes.Interface, ca Issuer, c *certv1.CertificateSigningRequest) error {
	if c.Spec.SignerName != certv1.KubeAPIServerClientKubeletSignerName && c.Spec.SignerName != certv1.KubeletServingSignerName {
		return nil
	}
	block, _ := pem.Decode(c.Spec.Request)
	if block == nil {
		return fmt.Errorf("CSR %s: no PEM request", c.Name)
	}
	req, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{Subject: req.Subject, DNSNames: req.DNSNames, IPAddresses: req.IPAddresses,
		NotAfter: time.Now().Add(12 * time.Hour)}
	for _, u := range c.Spec.Usages {
		switch u {
		case certv1.UsageDigitalSignature:
			tmpl.KeyUsage |= x509.KeyUsageDigitalSignature
		case certv1.UsageKeyEncipherment:
			tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
		case certv1.UsageClientAuth:
			tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
		case certv1.UsageServerAuth:
			tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
		}
	}
	crt, err := ca.Sign(tmpl, req.PublicKey)
	if err != nil {
		return err
	}
	c.Status.Certificate = crt
	_, err = admin.CertificatesV1().CertificateSigningRequests().UpdateStatus(ctx, c, metav1.UpdateOptions{})
	return err
}
