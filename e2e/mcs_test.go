package e2e

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/vincent-petithory/dataurl"

	"github.com/okdctl/okdctl/ignition"
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
	caPEM, keyPEM := ignitionFile(raw, "/opt/openshift/tls/root-ca.crt"), ignitionFile(raw, "/opt/openshift/tls/root-ca.key")
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cert != nil && m.ca == string(caPEM) {
		return m.cert
	}
	ca, err := tls.X509KeyPair(caPEM, keyPEM)
	if err != nil {
		return nil
	}
	caCert, err := x509.ParseCertificate(ca.Certificate[0])
	if err != nil {
		return nil
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "system:machine-config-server"},
		DNSNames: []string{m.name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, key.Public(), ca.PrivateKey.(crypto.Signer))
	if err != nil {
		return nil
	}
	m.ca, m.cert = string(caPEM), &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return m.cert
}

// ignitionFile is the contents of a file an ignition config writes inline.
func ignitionFile(raw []byte, path string) []byte {
	cfg, _, err := ignition.Parse(raw)
	if err != nil {
		return nil
	}
	for _, f := range cfg.Storage.Files {
		if f.Path == path && f.Contents.Source != nil {
			if du, err := dataurl.DecodeString(*f.Contents.Source); err == nil {
				return du.Data
			}
		}
	}
	return nil
}
