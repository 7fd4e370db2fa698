package cluster

import (
	"crypto/x509"
	"fmt"
	"net"
	"strings"
	"time"

	certv1 "k8s.io/api/certificates/v1"
)

// view is what one approval pass knows about the cluster besides the CSR.
type view struct {
	inv   *Inventory
	nodes map[string]bool // existing Node names
	now   time.Time
	// window bounds when a client CSR may have been created.
	since        time.Time
	maxClientAge time.Duration
	// per node: a client CSR already approved in the window.
	clientApproved map[string]string
	// requests parses and verifies a CSR's request (the approver's cache;
	// nil: parseRequest each time).
	requests *requestCache
}

// request is the CSR's parsed request, its signature checked.
func (v *view) request(csr *certv1.CertificateSigningRequest) (*x509.CertificateRequest, error) {
	if v.requests == nil {
		return parseRequest(csr)
	}
	return v.requests.parse(csr)
}

// evaluate applies REFERENCE.md section 5 to one pending CSR.
func (v *view) evaluate(csr *certv1.CertificateSigningRequest) Decision {
	switch csr.Spec.SignerName {
	case certv1.KubeAPIServerClientKubeletSignerName:
		return v.evaluateClient(csr)
	case certv1.KubeletServingSignerName:
		return v.evaluateServing(csr)
	}
	return skip("", "", "signer %q is not a kubelet signer okdctl approves", csr.Spec.SignerName)
}

// evaluateClient checks a kubelet's first client CSR, made with the node
// bootstrapper's credentials.
func (v *view) evaluateClient(csr *certv1.CertificateSigningRequest) Decision {
	const kind = "client"
	if csr.Spec.Username != NodeBootstrapper {
		return skip(kind, "", "requested by %q, not the node bootstrapper (a node renewing its own client certificate is the cluster's approver's job)", csr.Spec.Username)
	}
	if !sameSet(csr.Spec.Groups, bootstrapperGroups) || len(csr.Spec.Groups) != len(bootstrapperGroups) {
		return skip(kind, "", "requester groups %q are not exactly the node bootstrapper's %q", csr.Spec.Groups, bootstrapperGroups)
	}
	req, err := v.request(csr)
	if err != nil {
		return skip(kind, "", "%v", err)
	}
	name, err := subjectIsNode(req)
	if err != nil {
		return skip(kind, "", "%v", err)
	}
	if _, ok := v.inv.Lookup(name); !ok {
		return skip(kind, name, "node %q is not in the cluster spec's node list", name)
	}
	if n := len(req.DNSNames) + len(req.IPAddresses) + len(req.EmailAddresses) + len(req.URIs); n > 0 {
		return skip(kind, name, "a client CSR must carry no SANs, this one has %d (DNS %q, IP %q, email %q, URI %q)",
			n, req.DNSNames, ipString(req.IPAddresses), req.EmailAddresses, req.URIs)
	}
	if !usagesMatch(csr.Spec.Usages, clientUsages) {
		return skip(kind, name, "usages %q are not exactly digital signature and client auth (with key encipherment optionally)", csr.Spec.Usages)
	}
	return v.clientState(csr, name)
}

// clientState checks what depends on the cluster and the clock.
func (v *view) clientState(csr *certv1.CertificateSigningRequest, name string) Decision {
	const kind = "client"
	created := csr.CreationTimestamp.Time
	if v.nodes[name] {
		return skip(kind, name, "Node %s already exists: a joined node renews its own certificate; approve by hand (oc adm certificate approve %s) only if you reinstalled it", name, csr.Name)
	}
	if !v.since.IsZero() && created.Before(v.since) {
		return skip(kind, name, "created at %s, before the nodes were provisioned (%s)", created.Format(time.RFC3339), v.since.Format(time.RFC3339))
	}
	if v.maxClientAge > 0 && v.now.Sub(created) > v.maxClientAge {
		return skip(kind, name, "created %s ago, older than the %s window for a node's first client CSR (the kubelet makes a new one)", age(v.now, created), v.maxClientAge)
	}
	if prev, ok := v.clientApproved[name]; ok && prev != csr.Name {
		return skip(kind, name, "client CSR %s for this node was already approved; approve by hand only if the node was reinstalled", prev)
	}
	return Decision{Approve: true, Kind: kind, Node: name,
		Reason: fmt.Sprintf("client CSR of node %s (in the cluster spec, not joined yet) from the node bootstrapper", name)}
}

// evaluateServing checks a kubelet's serving CSR, made as the node itself.
func (v *view) evaluateServing(csr *certv1.CertificateSigningRequest) Decision {
	const kind = "serving"
	user := csr.Spec.Username
	if !strings.HasPrefix(user, NodeUserPrefix) {
		return skip(kind, "", "requested by %q, not by a node (system:node:<name>)", user)
	}
	name := strings.TrimPrefix(user, NodeUserPrefix)
	node, ok := v.inv.Lookup(name)
	if !ok {
		return skip(kind, name, "node %q is not in the cluster spec's node list", name)
	}
	if !contains(csr.Spec.Groups, NodesGroup) || !contains(csr.Spec.Groups, authenticated) {
		return skip(kind, name, "requester groups %q lack %s or %s", csr.Spec.Groups, NodesGroup, authenticated)
	}
	if !v.nodes[name] {
		return skip(kind, name, "Node %s does not exist yet (retried when it registers)", name)
	}
	req, err := v.request(csr)
	if err != nil {
		return skip(kind, name, "%v", err)
	}
	cn, err := subjectIsNode(req)
	if err != nil {
		return skip(kind, name, "%v", err)
	}
	if cn != name {
		return skip(kind, name, "subject CN names node %q but the requester is %q", cn, user)
	}
	if !usagesMatch(csr.Spec.Usages, servingUsages) {
		return skip(kind, name, "usages %q are not exactly digital signature and server auth (with key encipherment optionally)", csr.Spec.Usages)
	}
	if why := v.servingSANs(req.DNSNames, req.IPAddresses, node); why != "" {
		return skip(kind, name, "%s", why)
	}
	if why := hasOtherSANs(req); why != "" {
		return skip(kind, name, "%s", why)
	}
	return Decision{Approve: true, Kind: kind, Node: name,
		Reason: fmt.Sprintf("serving CSR of node %s for its own names %q and address %q", name, req.DNSNames, ipString(req.IPAddresses))}
}

// servingSANs checks every DNS and IP SAN against the node's own name and
// address; it returns why not, or "".
func (v *view) servingSANs(dns []string, ips []net.IP, node Node) string {
	if len(dns)+len(ips) == 0 {
		return "a serving CSR must name the node by at least one DNS or IP SAN"
	}
	for _, d := range dns {
		if forbiddenName(d) {
			return fmt.Sprintf("DNS SAN %q is a cluster service name, never a node's", d)
		}
		if !strings.EqualFold(d, node.FQDN) && !strings.EqualFold(d, node.Name) {
			return fmt.Sprintf("DNS SAN %q is not the node's name %s or %s", d, node.FQDN, node.Name)
		}
	}
	own := v.inv.ips[node.FQDN]
	for _, ip := range ips {
		if v.inv.inServiceNetwork(ip) {
			return fmt.Sprintf("IP SAN %s is in the service network", ip)
		}
		if !ip.Equal(own) {
			return fmt.Sprintf("IP SAN %s is not the node's address %s", ip, own)
		}
	}
	return ""
}
