package nodesim

import (
	"context"
	"net"
	"net/url"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Adversary makes CSRs a verifying approver must leave pending.
type Adversary struct {
	// Bootstrap is the real node bootstrapper; WrongGroups the same user
	// name with other groups; Impostor another user allowed to create CSRs.
	Bootstrap, WrongGroups, Impostor kubernetes.Interface
	// Admin creates the Node of Existing beforehand.
	Admin kubernetes.Interface
	// NodeClient is a kubelet's identity (system:node:NAME, system:nodes).
	NodeClient func(name string) kubernetes.Interface
	// Victim is a joined inventory node; Other another inventory node;
	// Existing an inventory node whose Node exists (created if missing);
	// Outsider a machine outside the inventory.
	Victim, Other, Existing, Outsider Machine
	// ServiceIP is an address in the service network.
	ServiceIP string
}

// Attack is one wrong CSR.
type Attack struct {
	Name string
	Make func(ctx context.Context) (*certv1.CertificateSigningRequest, error)
}

// Attacks lists the wrong CSRs, each made by its Make.
func (a *Adversary) Attacks() []Attack {
	nodes := []string{"system:nodes"}
	client := func(c kubernetes.Interface, r CSR) func(context.Context) (*certv1.CertificateSigningRequest, error) {
		return func(ctx context.Context) (*certv1.CertificateSigningRequest, error) {
			if r.Signer == "" {
				r.Signer = certv1.KubeAPIServerClientKubeletSignerName
			}
			if r.Usages == nil {
				r.Usages = ClientUsages
			}
			csr, _, err := Create(ctx, c, r)
			return csr, err
		}
	}
	v, o := a.Victim, a.Other
	asVictim := func(r CSR) func(context.Context) (*certv1.CertificateSigningRequest, error) {
		if r.CN == "" {
			r.CN = "system:node:" + v.Name
		}
		if r.O == nil {
			r.O = nodes
		}
		r.Signer, r.Usages = certv1.KubeletServingSignerName, orUsages(r.Usages, ServingUsages)
		return client(a.NodeClient(v.Name), r)
	}
	ip := func(s string) []net.IP { return []net.IP{net.ParseIP(s)} }
	evil, _ := url.Parse("spiffe://okd/evil")
	return []Attack{
		{"client: node not in the inventory", client(a.Bootstrap, CSR{CN: "system:node:" + a.Outsider.Name, O: nodes})},
		{"client: requested by another user", client(a.Impostor, CSR{CN: "system:node:" + o.Name, O: nodes})},
		{"client: bootstrapper name with other groups", client(a.WrongGroups, CSR{CN: "system:node:" + o.Name, O: nodes})},
		{"client: DNS SAN", client(a.Bootstrap, CSR{CN: "system:node:" + o.Name, O: nodes, DNS: []string{o.Name}})},
		{"client: IP SAN", client(a.Bootstrap, CSR{CN: "system:node:" + o.Name, O: nodes, IPs: ip(o.IP)})},
		{"client: O system:masters", client(a.Bootstrap, CSR{CN: "system:node:" + o.Name, O: []string{"system:masters"}})},
		{"client: O with an extra group", client(a.Bootstrap, CSR{CN: "system:node:" + o.Name, O: []string{"system:nodes", "system:masters"}})},
		{"client: Node already exists", a.existing()},
		{"client: extra usage server auth", client(a.Bootstrap, CSR{CN: "system:node:" + o.Name, O: nodes,
			Usages: append(append([]certv1.KeyUsage{}, ClientUsages...), certv1.UsageServerAuth)})},
		{"client: other signer", client(a.Bootstrap, CSR{CN: "system:node:" + o.Name, O: nodes, Signer: certv1.KubeAPIServerClientSignerName})},
		{"serving: another node's IP", asVictim(CSR{DNS: []string{v.Name}, IPs: ip(o.IP)})},
		{"serving: another node's name", asVictim(CSR{DNS: []string{v.Name, o.Name}, IPs: ip(v.IP)})},
		{"serving: kubernetes.default.svc", asVictim(CSR{DNS: []string{v.Name, "kubernetes.default.svc"}})},
		{"serving: service-network IP", asVictim(CSR{DNS: []string{v.Name}, IPs: ip(a.ServiceIP)})},
		{"serving: email SAN", asVictim(CSR{DNS: []string{v.Name}, Emails: []string{"root@" + v.Name}})},
		{"serving: URI SAN", asVictim(CSR{DNS: []string{v.Name}, URIs: []*url.URL{evil}})},
		{"serving: extra usage client auth", asVictim(CSR{DNS: []string{v.Name},
			Usages: append(append([]certv1.KeyUsage{}, ServingUsages...), certv1.UsageClientAuth)})},
		{"serving: CN of another node", asVictim(CSR{CN: "system:node:" + o.Name, DNS: []string{v.Name}})},
		{"serving: no SAN", asVictim(CSR{})},
		{"serving: node not in the inventory", client(a.NodeClient(a.Outsider.Name), CSR{Signer: certv1.KubeletServingSignerName,
			CN: "system:node:" + a.Outsider.Name, O: nodes, DNS: []string{a.Outsider.Name}, Usages: ServingUsages})},
	}
}

// existing creates the Node of Existing as an admin, then asks for a client
// certificate for it as the bootstrapper.
func (a *Adversary) existing() func(context.Context) (*certv1.CertificateSigningRequest, error) {
	return func(ctx context.Context) (*certv1.CertificateSigningRequest, error) {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: a.Existing.Name}}
		if _, err := a.Admin.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, err
		}
		csr, _, err := Create(ctx, a.Bootstrap, CSR{Signer: certv1.KubeAPIServerClientKubeletSignerName,
			CN: "system:node:" + a.Existing.Name, O: []string{"system:nodes"}, Usages: ClientUsages})
		return csr, err
	}
}

func orUsages(u, def []certv1.KeyUsage) []certv1.KeyUsage {
	if u == nil {
		return def
	}
	return u
}
