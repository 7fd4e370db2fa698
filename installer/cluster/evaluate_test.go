package cluster

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func clientCSR(t testing.TB, name, node string, created time.Time) *certv1.CertificateSigningRequest {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: NodeUserPrefix + node, Organization: []string{NodesGroup}}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return &certv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(created)},
		Spec: certv1.CertificateSigningRequestSpec{
			Request:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
			SignerName: certv1.KubeAPIServerClientKubeletSignerName, Username: NodeBootstrapper, Groups: bootstrapperGroups,
			Usages: []certv1.KeyUsage{certv1.UsageDigitalSignature, certv1.UsageClientAuth},
		},
	}
}

// TestClientCSRWindow: a node's first client CSR must come after the
// nodes were provisioned and be recent.
func TestClientCSRWindow(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	inv := newInventory(t, specNodes("okd.example", 5))
	v := &view{inv: inv, nodes: map[string]bool{}, now: now, since: now.Add(-30 * time.Minute),
		maxClientAge: time.Hour, clientApproved: map[string]string{}}
	for _, tc := range []struct {
		name    string
		created time.Time
		want    string
	}{
		{"fresh", now.Add(-time.Minute), ""},
		{"before provisioning", now.Add(-40 * time.Minute), "before the nodes were provisioned"},
		{"too old", now.Add(-2 * time.Hour), "before the nodes were provisioned"},
	} {
		d := v.evaluate(clientCSR(t, "csr-"+tc.name, "m0.okd.example", tc.created))
		if tc.want == "" && !d.Approve || tc.want != "" && (d.Approve || !strings.Contains(d.Reason, tc.want)) {
			t.Errorf("%s: %+v, want %q", tc.name, d, tc.want)
		}
	}
	v.since = time.Time{}
	if d := v.evaluate(clientCSR(t, "csr-old", "m0.okd.example", now.Add(-2*time.Hour))); d.Approve || !strings.Contains(d.Reason, "older than the 1h0m0s window") {
		t.Errorf("old CSR without a provisioning time: %+v", d)
	}
	v.clientApproved["m0.okd.example"] = "csr-first"
	if d := v.evaluate(clientCSR(t, "csr-second", "m0.okd.example", now)); d.Approve || !strings.Contains(d.Reason, "csr-first for this node was already approved") {
		t.Errorf("second client CSR after an approval: %+v", d)
	}
}

func TestForbiddenNames(t *testing.T) {
	t.Parallel()
	for _, n := range []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
		"api.openshift-apiserver.svc", "foo.svc.cluster.local", "localhost", "*.apps.okd.example", "openshift.default"} {
		if !forbiddenName(n) {
			t.Errorf("%s allowed", n)
		}
	}
	for _, n := range []string{"m0.okd.example", "m0", "kubernetes-node.okd.example"} {
		if forbiddenName(n) {
			t.Errorf("%s forbidden", n)
		}
	}
}
