package day2

import (
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/dnsrecords"
	"github.com/okdctl/okdctl/haproxy"
	"github.com/okdctl/okdctl/ignition"
	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/installer/cluster"
	"github.com/okdctl/okdctl/internal/nodesim"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/spec"
	"github.com/okdctl/okdctl/webserver"
)

var allPorts = []string{"dns", "api", "machineConfig", "ingressHTTP", "ingressHTTPS", "ignition", "registry", "etcd", "etcdPeer", "stats"}

// TestAddNode installs the sandbox's bastion for a running cluster (real
// etcd, CoreDNS, HAProxy and nginx; a real kube-apiserver with the nodes
// joined), adds w1 to the spec and runs add-node while a simulated machine
// boots from what okdctl serves and joins: w1 ends Ready with its records,
// its ingress backend and its ignition in place. A second run changes
// nothing. "single-node" is the seeds' case: one master running the router.
func TestAddNode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		edits  []string
		joined []string
	}{
		{name: "sandbox", joined: []string{"m0", "w0"}},
		{name: "single-node", edits: []string{"  - {name: w0, role: worker, ip: 127.0.1.4, nic: eth0}\n", ""}, joined: []string{"m0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testAddNode(t, sandboxSpec(t, allPorts, tc.edits...), tc.joined)
		})
	}
}

func testAddNode(t *testing.T, c0 *spec.Cluster, joined []string) {
	ctx := testenv.Context(t, 4*time.Minute)
	root := t.TempDir()
	host := sandboxHost(t, root)
	k := startCluster(t, ctx, c0, host, joined)
	installedBastion(t, c0, host, k.Kubeconfig)

	c1 := withNode(c0, spec.Node{Name: "w1", Role: spec.RoleWorker, IP: "127.0.1.7", NIC: "eth0", Disk: "/dev/vda"})
	out := &bastion.SyncBuffer{}
	r := &installer.Runner{Cluster: c1, Host: host, Log: installer.NewLogger(installer.LoggerOptions{Out: out}), Kubeconfig: k.Kubeconfig}
	done := make(chan error, 1)
	go func() {
		_, err := AddNode(ctx, r, "w1", AddNodeOptions{Every: time.Second})
		done <- err
	}()
	if err := bootMachine(ctx, c1, host, "w1"); err != nil {
		t.Fatalf("w1 could not boot: %v\n%s", err, out)
	}
	sim := &nodesim.Simulator{Bootstrap: testenv.Clientset(t, k.BootstrapperConfig()), NodeConfig: k.CertPEMConfig}
	if _, err := sim.Join(ctx, nodesim.Machine{Name: "w1.sandbox.okd.test", IP: "127.0.1.7"}); err != nil {
		t.Fatalf("w1 did not join: %v\n%s", err, out)
	}
	if err := <-done; err != nil {
		t.Fatalf("add-node: %v\n%s", err, out)
	}
	checkAdded(t, ctx, c1, host, out.String(), len(joined) == 1)
	if os.Getenv("SHOW") != "" {
		t.Logf("add-node output:\n%s", out)
	}

	// Again: nothing to write, nothing restarted, the node is Ready.
	sb := host.Services.(*bastion.Sandbox)
	pids := map[string]int{}
	for _, s := range sb.Names() {
		pids[s] = sb.PID(s)
	}
	before := host.Changes()
	out2 := &bastion.SyncBuffer{}
	r.Log = installer.NewLogger(installer.LoggerOptions{Out: out2})
	if _, err := AddNode(ctx, r, "w1", AddNodeOptions{}); err != nil {
		t.Fatalf("second add-node: %v\n%s", err, out2)
	}
	if host.Changes() != before {
		t.Errorf("the second add-node made %d changes:\n%s", host.Changes()-before, out2)
	}
	for s, pid := range pids {
		if sb.PID(s) != pid {
			t.Errorf("%s restarted by the second add-node", s)
		}
	}

	for name, want := range map[string]string{"m0": "add-node adds workers only", "w9": `node "w9" is not in`} {
		if _, err := AddNode(ctx, r, name, AddNodeOptions{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("add-node %s: %v, want %q", name, err, want)
		}
	}
}

// startCluster runs kube-apiserver on m0's address, joins m0 and w0
// through okdctl's approver, and stores the worker ignition where
// OpenShift keeps it.
func startCluster(t *testing.T, ctx context.Context, c *spec.Cluster, host *bastion.Host, joined []string) *testenv.Kube {
	t.Helper()
	k := testenv.StartKube(t, testenv.KubeOptions{BindIP: "127.0.1.3", SANs: []string{"api-int.sandbox.okd.test"}})
	admin := testenv.Clientset(t, k.AdminConfig())
	nodesim.RunSigner(ctx, admin, k.CA)
	k.EnsureNamespace(t, cluster.MachineAPINamespace)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: cluster.WorkerUserDataMgd, Namespace: cluster.MachineAPINamespace},
		Data: map[string][]byte{"userData": pointerIgnition(t, "worker")}}
	if _, err := admin.CoreV1().Secrets(cluster.MachineAPINamespace).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rc, _ := newRC(t, c, host, k.Kubeconfig)
	for _, n := range c.Spec.Nodes {
		if slices.Contains(joined, n.Name) {
			joinWithApprover(t, ctx, rc, k, c.FQDN(n), n.IP)
		}
	}
	routerOn(t, ctx, k, c.FQDN(c.Spec.Nodes[len(c.Spec.Nodes)-1]))
	return k
}

// routerOn places the default router's pod on a node, as the scheduler would.
func routerOn(t *testing.T, ctx context.Context, k *testenv.Kube, node string) {
	t.Helper()
	k.EnsureNamespace(t, "openshift-ingress")
	api := testenv.Clientset(t, k.AdminConfig()).CoreV1()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "openshift-ingress"}}
	if _, err := api.ServiceAccounts("openshift-ingress").Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	key, value, _ := strings.Cut(routerSelector, "=")
	off := false
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "router-default-1", Namespace: "openshift-ingress", Labels: map[string]string{key: value}},
		Spec: corev1.PodSpec{NodeName: node, AutomountServiceAccountToken: &off, Containers: []corev1.Container{{Name: "router", Image: "router"}}}}
	if _, err := api.Pods("openshift-ingress").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// pointerIgnition is openshift-install's pointer ignition for a role.
func pointerIgnition(t *testing.T, role string) []byte {
	t.Helper()
	ca := selfSigned(t, "root-ca", -time.Hour, 3650*24*time.Hour)
	return []byte(`{"ignition":{"version":"3.2.0","config":{"merge":[{"source":"https://api-int.sandbox.okd.test:22623/config/` + role +
		`"}]},"security":{"tls":{"certificateAuthorities":[{"source":"data:text/plain;charset=utf-8;base64,` +
		base64.StdEncoding.EncodeToString(ca.pem) + `"}]}}}}`)
}

// installedBastion leaves the bastion as okdctl apply leaves it once the
// cluster has bootstrapped: ignition published for m0 and w0, bootstrap
// done and out of HAProxy, and the dns, loadbalancer and http phases run.
func installedBastion(t *testing.T, c *spec.Cluster, host *bastion.Host, kubeconfig string) {
	t.Helper()
	rc, _ := newRC(t, c, host, kubeconfig)
	hashes := map[string]string{}
	for _, n := range c.Spec.Nodes {
		if n.Role == spec.RoleBootstrap {
			continue
		}
		data, err := ignition.NodeConfig(installer.NodeIgnition(c, n), pointerIgnition(t, n.Role))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(rc.IgnitionWebDir(), n.Name+".ign"), data)
		os.Chmod(filepath.Join(rc.IgnitionWebDir(), n.Name+".ign"), 0o644)
		hashes[n.Name] = ignition.SHA512(data)
	}
	doc, _ := json.MarshalIndent(hashes, "", "  ")
	writeFile(t, rc.StatePath(installer.FileIgnitionHashes), append(doc, '\n'))
	writeFile(t, rc.StatePath(installer.FileBootstrapRemoved), []byte("removed\n"))
	st, _ := json.Marshal(installer.State{Cluster: c.Metadata.Name, Phases: map[string]*installer.PhaseState{
		"bootstrap": {Status: installer.StatusDone, StartedAt: time.Now().Add(-time.Hour), FinishedAt: time.Now()}}})
	writeFile(t, installer.StateFile(rc.StateDir()), st)
	applyPhases(t, c, host, kubeconfig, &installer.DNSPhase{}, &installer.LoadBalancerPhase{}, &installer.HTTPPhase{})
}

// withNode is c with one more node.
func withNode(c *spec.Cluster, n spec.Node) *spec.Cluster {
	out := *c
	out.Spec.Nodes = append(append([]spec.Node(nil), c.Spec.Nodes...), n)
	return &out
}

// bootMachine does what coreos-installer does with the node's boot line:
// it waits for the recorded hash, fetches the ignition from the bastion,
// checks the hash and parses it.
func bootMachine(ctx context.Context, c *spec.Cluster, host *bastion.Host, name string) error {
	stateDir := host.Paths.StateDir(c.Metadata.Name)
	var want string
	for want == "" {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		hashes, _ := installer.ReadIgnitionHashes(stateDir)
		want = hashes[name]
		time.Sleep(100 * time.Millisecond)
	}
	n := c.Spec.Nodes[len(c.Spec.Nodes)-1]
	resp, err := http.Get(installer.IgnitionURL(c, n))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	sum := sha512.Sum512(data)
	if got := "sha512-" + hex.EncodeToString(sum[:]); resp.StatusCode != http.StatusOK || got != want {
		return fmt.Errorf("%s answered %s with %s, the boot line says %s", installer.IgnitionURL(c, n), resp.Status, got, want)
	}
	if err := ignition.ValidateNode(data); err != nil {
		return err
	}
	if !strings.Contains(string(data), base64.StdEncoding.EncodeToString([]byte("w1.sandbox.okd.test\n"))) &&
		!strings.Contains(string(data), "w1.sandbox.okd.test") {
		return fmt.Errorf("the ignition does not set the hostname w1.sandbox.okd.test")
	}
	return nil
}

// checkAdded checks the new node's records, backend, ignition, boot line and Node.
func checkAdded(t *testing.T, ctx context.Context, c *spec.Cluster, host *bastion.Host, out string, singleNode bool) {
	t.Helper()
	rc, _ := newRC(t, c, host, "")
	server := installer.DNS(rc).Addr()
	for name, want := range map[string]string{"w1.sandbox.okd.test.": "127.0.1.7", "7.1.0.127.in-addr.arpa.": "w1.sandbox.okd.test."} {
		qtype := dns.TypeA
		if strings.HasSuffix(name, ".arpa.") {
			qtype = dns.TypePTR
		}
		m, err := dnsrecords.Exchange(ctx, server, name, qtype, time.Second, 3)
		if err != nil || len(m.Answer) != 1 || !strings.Contains(m.Answer[0].String(), want) {
			t.Errorf("%s: %v %v, want %s", name, m, err, want)
		}
	}
	cfg, _ := os.ReadFile(installer.HAProxyConfigPath(rc))
	for _, want := range []string{"server w1 127.0.1.7:80 check", "server w1 127.0.1.7:443 check"} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("haproxy.cfg lacks %q", want)
		}
	}
	// the router runs on the last node of the old spec: m0 on a single
	// node, w0 (an ingress backend) otherwise
	if warned := strings.Contains(out, "but the default router runs on m0.sandbox.okd.test"); warned != singleNode {
		t.Errorf("warning about the router on the master: %v, want %v", warned, singleNode)
	}
	if running, _ := host.Services.Running(ctx, haproxy.ServiceName); !running {
		t.Error("HAProxy is not running")
	}
	hashes, _ := installer.ReadIgnitionHashes(rc.StateDir())
	if hashes["w1"] == "" || hashes["m0"] == "" {
		t.Errorf("hashes = %v", hashes)
	}
	files, _ := webserver.Published(rc.WebRoot())
	if len(files) < 3 {
		t.Errorf("published: %v", files)
	}
	if _, err := os.Stat(rc.StatePath(installer.DirBoot, "w1.txt")); err != nil {
		t.Errorf("no boot artifacts for w1: %v", err)
	}
	for _, want := range []string{"boot w1 with this line", "coreos.inst.install_dev=/dev/vda", "--ignition-hash=" + hashes["w1"],
		"from openshift-machine-api/worker-user-data-managed", "w1.sandbox.okd.test"} {
		if !strings.Contains(out, want) {
			t.Errorf("add-node output lacks %q:\n%s", want, out)
		}
	}
}
