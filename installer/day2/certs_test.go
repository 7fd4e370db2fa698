package day2

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/installer/cluster"
	"github.com/okdctl/okdctl/internal/nodesim"
	"github.com/okdctl/okdctl/internal/testenv"
)

// TestCertificates reports the certificates of a sandbox cluster on a
// real kube-apiserver: one node joined through okdctl's approver, its
// kubelet serving on a loopback port, an ingress certificate that
// expires in 10 days, stale ignition, and two pending CSRs.
func TestCertificates(t *testing.T) {
	t.Parallel()
	ctx := testenv.Context(t, 3*time.Minute)
	c := sandboxSpec(t, []string{"api", "machineConfig", "ingressHTTPS", "registry"})
	s := &c.Spec
	k := testenv.StartKube(t, testenv.KubeOptions{BindIP: s.Bastion.IP, Port: s.Bastion.Ports.API, SANs: []string{"api.sandbox.okd.test"}})
	nodesim.RunSigner(ctx, testenv.Clientset(t, k.AdminConfig()), k.CA)
	rc, out := dayTwoRC(t, c)
	rc, _ = newRC(t, c, rc.Host(), k.Kubeconfig)

	joinWithApprover(t, ctx, rc, k, "m0.sandbox.okd.test", "127.0.1.3")
	kubeletPort := serveKubelet(t, ctx, k, "m0.sandbox.okd.test", "127.0.1.3")
	serveTLS(t, fmt.Sprintf("%s:%d", s.Bastion.IP, s.Bastion.Ports.IngressHTTPS), selfSigned(t, "*.apps.sandbox.okd.test", -time.Hour, 10*24*time.Hour))
	writeFile(t, rc.StatePath(installer.FileCACert), selfSigned(t, "okdctl CA", -time.Hour, 3650*24*time.Hour).pem)
	writeFile(t, rc.StatePath(installer.FileRegistryCert), selfSigned(t, "registry.sandbox.okd.test", -time.Hour, 365*24*time.Hour).pem)
	writeFile(t, filepath.Join(c.Spec.InstallDir, "bootstrap.ign"), ignitionWithCert(t, selfSigned(t, "bootstrap", -13*time.Hour, 11*time.Hour).pem))
	boot := testenv.Clientset(t, k.BootstrapperConfig())
	intruder, _, err := nodesim.Create(ctx, boot, nodesim.CSR{Signer: certv1.KubeAPIServerClientKubeletSignerName,
		CN: "system:node:intruder.sandbox.okd.test", O: []string{"system:nodes"}, Usages: nodesim.ClientUsages})
	if err != nil {
		t.Fatal(err)
	}
	w0, _, err := nodesim.Create(ctx, boot, nodesim.CSR{Signer: certv1.KubeAPIServerClientKubeletSignerName,
		CN: "system:node:w0.sandbox.okd.test", O: []string{"system:nodes"}, Usages: nodesim.ClientUsages})
	if err != nil {
		t.Fatal(err)
	}

	rep := Certificates(ctx, rc, CertsOptions{Warn: 2 * 24 * time.Hour})
	text := string(rep.Text())
	status := map[string]Cert{}
	for _, c := range rep.Certs {
		status[c.Name] = c
	}
	for name, want := range map[string]string{
		"kubelet client certificate of m0.sandbox.okd.test":      CertExpiring,
		"kubelet serving certificate of m0.sandbox.okd.test":     CertExpiring,
		"API server (api.sandbox.okd.test)":                      CertExpiring,
		"admin kubeconfig CA (API server trust)":                 CertExpiring,
		"ignition certificates (bootstrap.ign, soonest of them)": CertStale,
		"ingress default certificate (*.apps.sandbox.okd.test)":  CertOK,
		"registry CA (okdctl's CA)":                              CertOK,
		"registry server certificate":                            CertOK,
		"machine config server (api-int.sandbox.okd.test)":       CertUnknown,
	} {
		if got := status[name]; got.Status != want || got.Flagged != (want == CertExpiring || want == CertStale) {
			t.Errorf("%s: %+v, want %s", name, got, want)
		}
	}
	if w := status["kubelet serving certificate of m0.sandbox.okd.test"].Where; w != fmt.Sprintf("127.0.1.3:%d", kubeletPort) {
		t.Errorf("the kubelet's serving certificate was read from %q, not from the kubelet", w)
	}
	if first, last := rep.Certs[0], rep.Certs[len(rep.Certs)-1]; !first.Flagged || last.Status != CertUnknown {
		t.Errorf("not sorted by urgency: first %+v, last %+v", first, last)
	}
	verdicts := map[string]cluster.Verdict{}
	for _, v := range rep.Pending {
		verdicts[v.Name] = v
	}
	if v := verdicts[w0.Name]; !v.Approve || v.Node != "w0.sandbox.okd.test" {
		t.Errorf("w0's client CSR: %+v, want approve", v)
	}
	if v := verdicts[intruder.Name]; v.Approve || !strings.Contains(v.Reason, "not in the cluster spec") {
		t.Errorf("intruder's CSR: %+v, want skip", v)
	}
	for _, want := range []string{"expiring", "CSR  ", "skip", "approve", "expire within 2d"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}

	month := Certificates(ctx, rc, CertsOptions{Warn: 30 * 24 * time.Hour})
	for _, c := range month.Certs {
		if strings.HasPrefix(c.Name, "ingress") && (!c.Flagged || c.Status != CertExpiring) {
			t.Errorf("with 30 days, the ingress certificate (10 days left) is %+v", c)
		}
	}
	if t.Failed() || os.Getenv("SHOW") != "" {
		t.Logf("report:\n%s\nlog:\n%s", text, out)
	}
}

// joinWithApprover joins one simulated node while okdctl's approver runs.
func joinWithApprover(t *testing.T, ctx context.Context, rc *installer.RunContext, k *testenv.Kube, name, ip string) {
	t.Helper()
	a, err := installer.NewApprover(rc)
	if err != nil {
		t.Fatal(err)
	}
	actx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(actx, cluster.WatchOptions{Every: 200 * time.Millisecond}) }()
	sim := &nodesim.Simulator{Bootstrap: testenv.Clientset(t, k.BootstrapperConfig()), NodeConfig: k.CertPEMConfig}
	if _, err := sim.Join(ctx, nodesim.Machine{Name: name, IP: ip}); err != nil {
		t.Fatal(err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// serveKubelet serves a kubelet serving certificate on ip and records the
// port in the Node's status, as a kubelet does.
func serveKubelet(t *testing.T, ctx context.Context, k *testenv.Kube, name, ip string) int {
	t.Helper()
	crt, key := k.CA.ServingCert(t, "system:node:"+name, []string{name}, []net.IP{net.ParseIP(ip)})
	pair, err := tls.X509KeyPair(crt, key)
	if err != nil {
		t.Fatal(err)
	}
	port := testenv.FreePort(t, ip)
	serveTLS(t, fmt.Sprintf("%s:%d", ip, port), pair)
	api := testenv.Clientset(t, k.AdminConfig()).CoreV1().Nodes()
	n, err := api.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(port)
	if _, err := api.UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	return port
}

// testCert is a certificate with its key, usable as a tls.Certificate.
type testCert struct {
	tls.Certificate
	pem []byte
}

// selfSigned is a certificate valid from now+from to now+until.
func selfSigned(t *testing.T, cn string, from, until time.Duration) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(from), NotAfter: time.Now().Add(until), DNSNames: []string{strings.TrimPrefix(cn, "*.")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return testCert{Certificate: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// serveTLS accepts TLS handshakes on addr until the test ends.
func serveTLS(t *testing.T, addr string, cert any) {
	t.Helper()
	var pair tls.Certificate
	switch c := cert.(type) {
	case testCert:
		pair = c.Certificate
	case tls.Certificate:
		pair = c
	}
	l, err := tls.Listen("tcp", addr, &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				_ = conn.(*tls.Conn).Handshake()
				conn.Close()
			}()
		}
	}()
}

// ignitionWithCert is an ignition config embedding one certificate.
func ignitionWithCert(t *testing.T, certPEM []byte) []byte {
	t.Helper()
	return []byte(`{"ignition":{"version":"3.2.0"},"storage":{"files":[{"path":"/opt/openshift/tls/x.crt","mode":420,` +
		`"contents":{"source":"data:text/plain;charset=utf-8;base64,` + base64.StdEncoding.EncodeToString(certPEM) + `"}}]}}`)
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
