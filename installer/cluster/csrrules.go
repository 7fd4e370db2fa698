package cluster

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	certv1 "k8s.io/api/certificates/v1"
)

// The identities and signers of the two kinds of kubelet CSR.
const (
	NodeBootstrapper = "system:serviceaccount:openshift-machine-config-operator:node-bootstrapper"
	NodeUserPrefix   = "system:node:"
	NodesGroup       = "system:nodes"
	authenticated    = "system:authenticated"
)

var bootstrapperGroups = []string{
	"system:authenticated", "system:serviceaccounts", "system:serviceaccounts:openshift-machine-config-operator",
}

var (
	clientUsages = [][]certv1.KeyUsage{
		{certv1.UsageDigitalSignature, certv1.UsageClientAuth},
		{certv1.UsageKeyEncipherment, certv1.UsageDigitalSignature, certv1.UsageClientAuth},
	}
	servingUsages = [][]certv1.KeyUsage{
		{certv1.UsageDigitalSignature, certv1.UsageServerAuth},
		{certv1.UsageKeyEncipherment, certv1.UsageDigitalSignature, certv1.UsageServerAuth},
	}
)

// Decision is the verdict on one pending CSR: approve, or skip with a reason.
// okdctl never denies (a CSR it does not recognise may be someone else's).
type Decision struct {
	Approve bool
	Kind    string // "client", "serving" or "" (not a kubelet CSR)
	Node    string // the Kubernetes node name it is for, when known
	Reason  string
}

func skip(kind, node, format string, args ...any) Decision {
	return Decision{Kind: kind, Node: node, Reason: fmt.Sprintf(format, args...)}
}

// parseRequest decodes the PKCS#10 request and checks its self-signature
// (proof that the requester holds the key).
func parseRequest(csr *certv1.CertificateSigningRequest) (*x509.CertificateRequest, error) {
	block, _ := pem.Decode(csr.Spec.Request)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, fmt.Errorf("the request is not a PEM CERTIFICATE REQUEST")
	}
	req, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the request does not parse: %v", err)
	}
	if err := req.CheckSignature(); err != nil {
		return nil, fmt.Errorf("the request's signature does not verify: %v", err)
	}
	return req, nil
}

// usagesMatch reports whether got is exactly one of the allowed sets (no
// duplicates, no extras).
func usagesMatch(got []certv1.KeyUsage, allowed [][]certv1.KeyUsage) bool {
	g := usageStrings(got)
	for _, want := range allowed {
		if strings.Join(g, ",") == strings.Join(usageStrings(want), ",") {
			return true
		}
	}
	return false
}

func usageStrings(u []certv1.KeyUsage) []string {
	s := make([]string, len(u))
	for i, v := range u {
		s[i] = string(v)
	}
	sort.Strings(s)
	return s
}

// sameSet compares two string lists as sets of distinct values.
func sameSet(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	return strings.Join(a, "\x00") == strings.Join(b, "\x00")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// subjectIsNode checks O exactly [system:nodes] and CN system:node:<name>;
// it returns <name>.
func subjectIsNode(req *x509.CertificateRequest) (string, error) {
	if len(req.Subject.Organization) != 1 || req.Subject.Organization[0] != NodesGroup {
		return "", fmt.Errorf("subject O is %q, not exactly [%s]", req.Subject.Organization, NodesGroup)
	}
	cn := req.Subject.CommonName
	if !strings.HasPrefix(cn, NodeUserPrefix) || len(cn) == len(NodeUserPrefix) {
		return "", fmt.Errorf("subject CN %q is not %s<node name>", cn, NodeUserPrefix)
	}
	return strings.TrimPrefix(cn, NodeUserPrefix), nil
}

func hasOtherSANs(req *x509.CertificateRequest) string {
	if len(req.EmailAddresses) > 0 {
		return fmt.Sprintf("it asks for email SANs %q", req.EmailAddresses)
	}
	if len(req.URIs) > 0 {
		return fmt.Sprintf("it asks for URI SANs %q", req.URIs)
	}
	return ""
}

// forbiddenName is a DNS SAN no node may hold (the API service's names).
func forbiddenName(name string) bool {
	n := strings.ToLower(strings.TrimSuffix(name, "."))
	return n == "kubernetes" || strings.HasPrefix(n, "kubernetes.") || strings.HasPrefix(n, "openshift.") ||
		n == "localhost" || strings.HasSuffix(n, ".svc") || strings.Contains(n, ".svc.") ||
		strings.HasSuffix(n, ".cluster.local") || strings.HasPrefix(n, "*")
}

func ipString(ips []net.IP) []string {
	s := make([]string, len(ips))
	for i, ip := range ips {
		s[i] = ip.String()
	}
	return s
}

func age(now, t time.Time) time.Duration { return now.Sub(t).Round(time.Second) }
