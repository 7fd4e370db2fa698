package day2

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/installer/cluster"
)

// probe is one TLS endpoint whose serving certificate is read.
type probe struct {
	name, addr, sni, note string
}

// served reads the certificates served through the bastion: the API
// server's and the machine config server's through HAProxy, the ingress's
// default certificate, and the registry's.
func (g *gather) served(ctx context.Context) {
	s := g.rc.Spec()
	if !g.rc.BastionReachable() {
		g.unchecked("served certificates (API, machine config, ingress, registry): spec.bastion.ip %s is not an address of this machine (run okdctl certs on the bastion)", s.Bastion.IP)
		return
	}
	domain := g.rc.Cluster().ClusterDomain()
	at := func(port int) string { return net.JoinHostPort(s.Bastion.IP, strconv.Itoa(port)) }
	probes := []probe{
		{"API server (api." + domain + ")", at(s.Bastion.Ports.API), "api." + domain, ""},
		{"machine config server (api-int." + domain + ")", at(s.Bastion.Ports.MachineConfig), "api-int." + domain, ""},
		{"ingress default certificate (*.apps." + domain + ")", at(s.Bastion.Ports.IngressHTTPS), "console-openshift-console.apps." + domain, ""},
	}
	if s.RegistryEnabled() {
		probes = append(probes, probe{"registry (served)", at(s.Bastion.Ports.Registry), installer.RegistryName(g.rc.Cluster()), ""})
	}
	g.probeAll(ctx, probes)
}

// probeAll handshakes with every endpoint at once.
func (g *gather) probeAll(ctx context.Context, probes []probe) {
	certs := make([]*x509.Certificate, len(probes))
	errs := make([]error, len(probes))
	var wg sync.WaitGroup
	for i, p := range probes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			certs[i], errs[i] = servingCert(ctx, p.addr, p.sni, g.o.Timeout)
		}()
	}
	wg.Wait()
	for i, p := range probes {
		if errs[i] != nil {
			g.unknown(p.name, p.addr, errs[i])
			continue
		}
		g.add(p.name, p.addr, certs[i], p.note)
	}
}

// servingCert is the leaf certificate addr serves for sni. It is read,
// not trusted: an expired or self-signed certificate is exactly what the
// report is for.
func servingCert(ctx context.Context, addr, sni string, timeout time.Duration) (*x509.Certificate, error) {
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout},
		Config: &tls.Config{ServerName: sni, InsecureSkipVerify: true}} //nolint:gosec // reading expiry, not trusting
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("no TLS answer: %w", err)
	}
	defer conn.Close()
	state := conn.(*tls.Conn).ConnectionState()
	if len(state.PeerCertificates) == 0 {
		return nil, errors.New("no certificate served")
	}
	return state.PeerCertificates[0], nil
}

// cluster reads the kubelets' certificates and the pending CSRs from the API.
func (g *gather) cluster(ctx context.Context) {
	if _, err := os.Stat(g.rc.Kubeconfig()); err != nil {
		g.unchecked("the cluster (kubelet certificates, pending CSRs): not asked: %v", err)
		return
	}
	clients, err := installer.ClusterClients(g.rc)
	if err != nil {
		g.unchecked("the cluster (kubelet certificates, pending CSRs): not asked: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 4*g.o.Timeout)
	defer cancel()
	csrs, err := clients.Kube.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
	if err != nil {
		g.unchecked("the cluster (kubelet certificates, pending CSRs): did not answer: %v", err)
		return
	}
	nodes, err := clients.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		g.unchecked("the cluster (kubelet certificates, pending CSRs): did not answer: %v", err)
		return
	}
	g.kubelets(ctx, csrs.Items, nodes.Items)
	g.verdicts(ctx)
}

// kubelets reports each node's newest client and serving certificates
// issued through CSRs, and the serving certificate its kubelet presents.
func (g *gather) kubelets(ctx context.Context, csrs []certv1.CertificateSigningRequest, nodes []corev1.Node) {
	type key struct{ node, kind string }
	newest := map[key]*x509.Certificate{}
	where := map[key]string{}
	for _, c := range csrs {
		kind := map[string]string{certv1.KubeAPIServerClientKubeletSignerName: "client", certv1.KubeletServingSignerName: "serving"}[c.Spec.SignerName]
		if kind == "" || len(c.Status.Certificate) == 0 {
			continue
		}
		cert, err := parsePEM(c.Status.Certificate)
		if err != nil {
			continue
		}
		k := key{strings.TrimPrefix(cert.Subject.CommonName, cluster.NodeUserPrefix), kind}
		if prev := newest[k]; prev == nil || cert.NotBefore.After(prev.NotBefore) {
			newest[k], where[k] = cert, "CSR "+c.Name
		}
	}
	var probes []probe
	for _, n := range nodes {
		if p, ok := kubeletProbe(n); ok {
			probes = append(probes, p)
			delete(newest, key{n.Name, "serving"})
		}
	}
	clients := 0
	for k, cert := range newest {
		g.add(fmt.Sprintf("kubelet %s certificate of %s", k.kind, k.node), where[k], cert, "")
		if k.kind == "client" {
			clients++
		}
	}
	g.probeAll(ctx, probes)
	if missing := len(nodes) - clients; missing > 0 {
		g.note("kubelet client certificates of %d nodes not seen: approved CSRs are removed after an hour, and kubelets renew these themselves", missing)
	}
}

// kubeletProbe is the kubelet's serving endpoint as the Node reports it.
func kubeletProbe(n corev1.Node) (probe, bool) {
	port := int(n.Status.DaemonEndpoints.KubeletEndpoint.Port)
	if port == 0 {
		port = 10250
	}
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return probe{name: "kubelet serving certificate of " + n.Name, addr: net.JoinHostPort(a.Address, strconv.Itoa(port)), sni: n.Name}, true
		}
	}
	return probe{}, false
}

// verdicts lists the pending CSRs with the verifying approver's verdict.
func (g *gather) verdicts(ctx context.Context) {
	a, err := installer.NewApprover(g.rc)
	if err != nil {
		g.unchecked("pending CSRs not judged: %v", err)
		return
	}
	g.rep.Pending, g.rep.Flooding, err = a.Verdicts(ctx)
	if err != nil {
		g.unchecked("pending CSRs not listed: %v", err)
		return
	}
	g.rep.CSRsChecked = true
}
