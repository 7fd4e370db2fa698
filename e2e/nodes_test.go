package e2e

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	ignconfig "github.com/coreos/ignition/v2/config/v3_0"
	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/okdctl/okdctl/internal/nodesim"
)

// bootRecord is one node of `okdctl boot -o json`.
type bootRecord struct {
	Name            string `json:"name"`
	Role            string `json:"role"`
	FQDN            string `json:"fqdn"`
	IP              string `json:"ip"`
	IgnitionURL     string `json:"ignitionURL"`
	IgnitionHash    string `json:"ignitionHash"`
	CoreOSInstaller string `json:"coreosInstaller"`
}

// resolver answers names through okdctl's CoreDNS, as a node configured
// with nameserver=<bastion> does.
type resolver struct{ server string }

func (r resolver) lookup(name string) (string, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	in, err := dns.Exchange(m, r.server)
	if err != nil {
		return "", fmt.Errorf("failed to resolve %s through %s: %w", name, r.server, err)
	}
	for _, rr := range in.Answer {
		if a, ok := rr.(*dns.A); ok {
			return a.A.String(), nil
		}
	}
	return "", fmt.Errorf("%s has no A record at %s (%s)", name, r.server, dns.RcodeToString[in.Rcode])
}

func (r resolver) reverse(ip string) (string, error) {
	arpa, _ := dns.ReverseAddr(ip)
	m := new(dns.Msg)
	m.SetQuestion(arpa, dns.TypePTR)
	in, err := dns.Exchange(m, r.server)
	if err != nil {
		return "", err
	}
	for _, rr := range in.Answer {
		if p, ok := rr.(*dns.PTR); ok {
			return strings.TrimSuffix(p.Ptr, "."), nil
		}
	}
	return "", fmt.Errorf("no PTR for %s", ip)
}

// dial resolves the host through okdctl's DNS before connecting.
func (r resolver) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if net.ParseIP(host) == nil {
		if host, err = r.lookup(host); err != nil {
			return nil, err
		}
	}
	var d net.Dialer
	return d.DialContext(ctx, network, net.JoinHostPort(host, port))
}

// machines simulates the bare-metal nodes and the cluster's operators.
type machines struct {
	r   *rehearsal
	res resolver
	// apiInt is the API as nodes reach it: api-int.<cluster> through HAProxy.
	apiInt string
}

func newMachines(r *rehearsal) *machines {
	p := r.cluster.Spec.Bastion.Ports
	return &machines{r: r, res: resolver{server: r.cluster.Spec.DNSServer()}, // okdctl's CoreDNS or the site's server
		apiInt: fmt.Sprintf("https://api-int.%s:%d", r.domain(), p.API)}
}

// via points a client config at api-int through okdctl's DNS and HAProxy.
func (m *machines) via(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.Host = m.apiInt
	c.Dial = m.res.dial
	return c
}

var hashArg = regexp.MustCompile(`--ignition-hash=(sha512-[0-9a-f]{128})`)

// bootRecords reads the boot lines okdctl prints, once every node's
// ignition hash is known.
func (m *machines) bootRecords(ctx context.Context) ([]bootRecord, error) {
	var recs []bootRecord
	err := waitFor(ctx, "every node's ignition hash in okdctl boot -o json", func() (bool, error) {
		cmd := m.r.command("boot", "-o", "json")
		out, err := cmd.Output()
		if err != nil {
			return false, err
		}
		recs = nil
		if err := json.Unmarshal(out, &recs); err != nil {
			return false, err
		}
		for _, rec := range recs {
			if rec.IgnitionHash == "" {
				return false, fmt.Errorf("%s has no ignition hash yet", rec.Name)
			}
		}
		return len(recs) > 0, nil
	})
	return recs, err
}

// boot does what coreos-installer does with a node's boot line: fetch the
// ignition from its URL, check it against the hash in the command, parse
// it with Ignition's parser; then it checks what the node would become.
func (m *machines) boot(rec bootRecord) error {
	want := hashArg.FindStringSubmatch(rec.CoreOSInstaller)
	if want == nil || want[1] != rec.IgnitionHash {
		return fmt.Errorf("%s: the coreos-installer command %q does not carry the hash %s", rec.Name, rec.CoreOSInstaller, rec.IgnitionHash)
	}
	resp, err := http.Get(rec.IgnitionURL)
	if err != nil {
		return fmt.Errorf("%s: failed to fetch %s: %w", rec.Name, rec.IgnitionURL, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s answered %s", rec.Name, rec.IgnitionURL, resp.Status)
	}
	sum := sha512.Sum512(data)
	if got := "sha512-" + hex.EncodeToString(sum[:]); got != rec.IgnitionHash {
		return fmt.Errorf("%s: served ignition has %s, the boot line says %s", rec.Name, got, rec.IgnitionHash)
	}
	cfg, rpt, err := ignconfig.Parse(data)
	if err != nil || rpt.IsFatal() {
		return fmt.Errorf("%s: ignition does not parse: %v %s", rec.Name, err, rpt)
	}
	hostname := false
	for _, f := range cfg.Storage.Files {
		hostname = hostname || f.Path == "/etc/hostname"
	}
	if !hostname {
		return fmt.Errorf("%s: ignition sets no /etc/hostname", rec.Name)
	}
	if ip, err := m.res.lookup(rec.FQDN); err != nil || ip != rec.IP {
		return fmt.Errorf("%s: its name resolves to %q (%v), want %s", rec.FQDN, ip, err, rec.IP)
	}
	if name, err := m.res.reverse(rec.IP); err != nil || name != rec.FQDN {
		return fmt.Errorf("%s: its address reverses to %q (%v), want %s", rec.IP, name, err, rec.FQDN)
	}
	return nil
}

// run boots every node, reports bootstrap-complete from the bootstrap
// node, joins the others through okdctl's CSR approval and plays the
// operators that report install-complete. It returns when all that is done.
func (m *machines) run(ctx context.Context) error {
	// an interrupted okdctl may publish new ignition on its next run:
	// boot again until the served bytes match the boot lines
	var recs []bootRecord
	err := waitFor(ctx, "every node booting from what okdctl serves", func() (bool, error) {
		var err error
		if recs, err = m.bootRecords(ctx); err != nil {
			return false, err
		}
		for _, rec := range recs {
			if err := m.boot(rec); err != nil {
				return false, err
			}
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	k := m.r.kube
	admin, err := kubernetes.NewForConfig(m.via(k.AdminConfig()))
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(m.via(k.AdminConfig()))
	if err != nil {
		return err
	}
	go nodesim.RunSigner(ctx, admin, k.CA)
	if err := m.operatorsStart(ctx, admin, dyn); err != nil {
		return err
	}
	if err := m.bootstrapComplete(ctx, admin, dyn); err != nil {
		return err
	}
	boot, err := kubernetes.NewForConfig(m.via(k.BootstrapperConfig()))
	if err != nil {
		return err
	}
	sim := &nodesim.Simulator{Bootstrap: boot, NodeConfig: func(crt, key []byte) *rest.Config {
		return m.via(k.CertPEMConfig(crt, key))
	}}
	for _, rec := range recs {
		if rec.Role == "bootstrap" {
			continue
		}
		if _, err := sim.Join(ctx, nodesim.Machine{Name: rec.FQDN, IP: rec.IP}); err != nil {
			return fmt.Errorf("%s did not join: %w", rec.FQDN, err)
		}
	}
	return m.installComplete(ctx, dyn)
}

var (
	etcdGVR    = schema.GroupVersionResource{Group: "operator.openshift.io", Version: "v1", Resource: "etcds"}
	ingressGVR = schema.GroupVersionResource{Group: "operator.openshift.io", Version: "v1", Resource: "ingresscontrollers"}
	cvGVR      = schema.GroupVersionResource{Group: "config.openshift.io", Version: "v1", Resource: "clusterversions"}
	routeGVR   = schema.GroupVersionResource{Group: "route.openshift.io", Version: "v1", Resource: "routes"}
)

// operatorsStart creates what the operators create early: the default
// IngressController with the two replicas a fresh cluster asks for.
func (m *machines) operatorsStart(ctx context.Context, admin kubernetes.Interface, dyn dynamic.Interface) error {
	for _, ns := range []string{"openshift-ingress-operator", "openshift-console"} {
		_, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil && !strings.Contains(err.Error(), "already exists") {
			return err
		}
	}
	ic := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "operator.openshift.io/v1", "kind": "IngressController",
		"metadata": map[string]any{"name": "default", "namespace": "openshift-ingress-operator"},
		"spec":     map[string]any{"replicas": int64(2)},
	}}
	_, err := dyn.Resource(ingressGVR).Namespace("openshift-ingress-operator").Create(ctx, ic, metav1.CreateOptions{})
	if err != nil && !strings.Contains(err.Error(), "already exists") {
		return err
	}
	return nil
}

// bootstrapComplete is what the bootstrap node reports when the control
// plane is up: the bootstrap ConfigMap, then etcd's member removal.
func (m *machines) bootstrapComplete(ctx context.Context, admin kubernetes.Interface, dyn dynamic.Interface) error {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "bootstrap", Namespace: "kube-system"},
		Data: map[string]string{"status": "complete"}}
	if _, err := admin.CoreV1().ConfigMaps("kube-system").Create(ctx, cm, metav1.CreateOptions{}); err != nil && !strings.Contains(err.Error(), "already exists") {
		return err
	}
	etcd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "operator.openshift.io/v1", "kind": "Etcd",
		"metadata": map[string]any{"name": "cluster"}, "spec": map[string]any{"managementState": "Managed"},
	}}
	created, err := dyn.Resource(etcdGVR).Create(ctx, etcd, metav1.CreateOptions{})
	if err != nil {
		if !strings.Contains(err.Error(), "already exists") {
			return err
		}
		if created, err = dyn.Resource(etcdGVR).Get(ctx, "cluster", metav1.GetOptions{}); err != nil {
			return err
		}
	}
	created.Object["status"] = map[string]any{"conditions": []any{map[string]any{
		"type": "EtcdBootstrapMemberRemoved", "status": "True", "reason": "BootstrapMemberRemoved",
		"lastTransitionTime": time.Now().UTC().Format(time.RFC3339)}}}
	_, err = dyn.Resource(etcdGVR).UpdateStatus(ctx, created, metav1.UpdateOptions{})
	return err
}

// installComplete is what the cluster-version operator and the console
// report at the end of an install.
func (m *machines) installComplete(ctx context.Context, dyn dynamic.Interface) error {
	route := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "route.openshift.io/v1", "kind": "Route",
		"metadata": map[string]any{"name": "console", "namespace": "openshift-console"},
		"spec": map[string]any{"host": "console-openshift-console.apps." + m.r.domain(), "to": map[string]any{"kind": "Service", "name": "console"},
			"tls": map[string]any{"termination": "reencrypt"}},
	}}
	if _, err := dyn.Resource(routeGVR).Namespace("openshift-console").Create(ctx, route, metav1.CreateOptions{}); err != nil && !strings.Contains(err.Error(), "already exists") {
		return err
	}
	cv := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "config.openshift.io/v1", "kind": "ClusterVersion",
		"metadata": map[string]any{"name": "version"},
		"spec":     map[string]any{"clusterID": "5a0b3c1e-1d3b-4c5f-9d7e-0a1b2c3d4e5f"},
	}}
	created, err := dyn.Resource(cvGVR).Create(ctx, cv, metav1.CreateOptions{})
	if err != nil {
		if !strings.Contains(err.Error(), "already exists") {
			return err
		}
		if created, err = dyn.Resource(cvGVR).Get(ctx, "version", metav1.GetOptions{}); err != nil {
			return err
		}
	}
	now := time.Now().UTC().Format(time.RFC3339)
	cond := func(t, s string) map[string]any {
		return map[string]any{"type": t, "status": s, "lastTransitionTime": now}
	}
	created.Object["status"] = map[string]any{
		"desired":            map[string]any{"version": "4.16.0-0.okd-sandbox", "image": m.r.cluster.Spec.Release.Image},
		"observedGeneration": int64(1), "versionHash": "e2e", "availableUpdates": nil,
		"conditions": []any{cond("Available", "True"), cond("Progressing", "False"), cond("Failing", "False")},
		"history": []any{map[string]any{"state": "Completed", "version": "4.16.0-0.okd-sandbox",
			"image": m.r.cluster.Spec.Release.Image, "verified": false, "startedTime": now, "completionTime": now}},
	}
	_, err = dyn.Resource(cvGVR).UpdateStatus(ctx, created, metav1.UpdateOptions{})
	return err
}
