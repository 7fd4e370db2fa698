package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"

	"github.com/okdctl/okdctl/ignition"
	"github.com/okdctl/okdctl/internal/testenv"
)

// startMachineConfigServer stands in for the masters' machine config server
// (22623): /healthz answers over TLS, as verify asks through the load
// balancer. Like the real one, once the install directory's bootstrap.ign
// exists it serves a certificate for api-int issued by the cluster's root
// CA (the one the pointer ignitions trust, which verify checks it against);
// before that, httptest's own.
func (r *rehearsal) startMachineConfigServer() {
	l, err := net.Listen("tcp", net.JoinHostPort(masterIP, "22623"))
	if err != nil {
		r.t.Fatalf("failed to stand in for the machine config server: %v", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/healthz" {
			http.NotFound(w, req)
			return
		}
		fmt.Fprintln(w, "ok")
	}))
	srv.Listener.Close()
	srv.Listener = l
	mcs := &mcsCert{bootstrap: filepath.Join(r.dir, "install", "bootstrap.ign"), name: "api-int." + domain}
	srv.StartTLS()
	fallback := srv.TLS.Certificates
	srv.TLS.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		if c := mcs.get(); c != nil {
			return c, nil
		}
		return &fallback[0], nil
	}
	srv.TLS.Certificates = nil
	r.t.Cleanup(srv.Close)
}

// mcsCert issues the machine config server's certificate from the root CA
// in bootstrap.ign, once per CA.
type mcsCert struct {
	bootstrap, name string
	mu              sync.Mutex
	ca              string
	cert            *tls.Certificate
}

func (m *mcsCert) get() *tls.Certificate {
	raw, err := os.ReadFile(m.bootstrap)
	if err != nil {
		return nil
	}
	caPEM, _ := ignition.FileContents(raw, "/opt/openshift/tls/root-ca.crt")
	keyPEM, _ := ignition.FileContents(raw, "/opt/openshift/tls/root-ca.key")
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cert != nil && m.ca == string(caPEM) {
		return m.cert
	}
	pair, err := tls.X509KeyPair(caPEM, keyPEM)
	if err != nil {
		return nil
	}
	caKey, isEC := pair.PrivateKey.(*ecdsa.PrivateKey) // the double's root CA key is ECDSA
	if !isEC {
		return nil
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	certPEM, err := (&testenv.CA{Cert: pair.Leaf, Key: caKey}).Sign(&x509.Certificate{
		Subject: pkix.Name{CommonName: "system:machine-config-server"}, DNSNames: []string{m.name},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, key.Public())
	block, _ := pem.Decode(certPEM)
	if err != nil || block == nil {
		return nil
	}
	m.ca, m.cert = string(caPEM), &tls.Certificate{Certificate: [][]byte{block.Bytes}, PrivateKey: key}
	return m.cert
}
