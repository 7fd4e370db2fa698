package cluster

import (
	"context"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/nodesim"
	"github.com/okdctl/okdctl/internal/testenv"
	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// wantSkip is the reason the approver must give for leaving each attack pending.
var wantSkip = map[string]string{
	"client: node not in the inventory":           `not in the cluster spec's node list`,
	"client: requested by another user":           `not the node bootstrapper`,
	"client: bootstrapper name with other groups": `not exactly the node bootstrapper's`,
	"client: DNS SAN":                             `must carry no SANs`,
	"client: IP SAN":                              `must carry no SANs`,
	"client: O system:masters":                    `subject O is`,
	"client: O with an extra group":               `subject O is`,
	"client: Node already exists":                 `already exists`,
	"client: extra usage server auth":             `^usages`,
	"client: other signer":                        `not a kubelet signer`,
	"serving: another node's IP":                  `IP SAN 127\.0\.1\.11 is not the node's address`,
	"serving: another node's name":                `DNS SAN "m1\.okd\.example" is not the node's name`,
	"serving: kubernetes.default.svc":             `cluster service name`,
	"serving: service-network IP":                 `in the service network`,
	"serving: email SAN":                          `email SANs`,
	"serving: URI SAN":                            `URI SANs`,
	"serving: extra usage client auth":            `^usages`,
	"serving: CN of another node":                 `subject CN names node "m1`,
	"serving: no SAN":                             `at least one DNS or IP SAN`,
	"serving: node not in the inventory":          `not in the cluster spec's node list`,
}

func TestApprover(t *testing.T) {
	k := testenv.StartKube(t, testenv.KubeOptions{Users: []testenv.KubeUser{
		{ID: "wrong-groups", Name: testenv.NodeBootstrapperUser, Groups: []string{"system:serviceaccounts", "system:authenticated", "evil"}},
		{ID: "impostor", Name: "impostor", Groups: []string{"system:authenticated"}},
	}})
	k.GrantCSRCreate(t, "impostor")
	ctx := testenv.Context(t, 2*time.Minute)
	admin := testenv.Clientset(t, k.AdminConfig())
	nodesim.RunSigner(ctx, admin, k.CA)
	nodes := specNodes("okd.example", 5)
	log := &testLog{t: t}
	a, err := NewApprover(ApproverOptions{Client: admin, Inventory: newInventory(t, nodes), Log: log})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("nodes join and become Ready", func(t *testing.T) { joinAll(t, ctx, a, simulator(t, k), machines(nodes)) })

	adv := &nodesim.Adversary{
		Bootstrap:   testenv.Clientset(t, k.BootstrapperConfig()),
		WrongGroups: testenv.Clientset(t, k.UserConfig(t, "wrong-groups")),
		Impostor:    testenv.Clientset(t, k.UserConfig(t, "impostor")),
		Admin:       admin, NodeClient: nodeClient(t, k),
		Victim: machines(nodes)[0], Other: machines(nodes)[1], Existing: machines(nodes)[0],
		Outsider:  nodesim.Machine{Name: "evil.okd.example", IP: "127.0.1.99"},
		ServiceIP: "172.30.0.1",
	}
	attacks := map[string]string{} // CSR name -> attack
	t.Run("wrong CSRs stay pending while watching", func(t *testing.T) {
		wctx, stop := context.WithCancel(ctx)
		done := make(chan error)
		go func() { done <- a.Run(wctx, WatchOptions{Every: time.Second}) }()
		for _, at := range adv.Attacks() {
			csr, err := at.Make(ctx)
			if err != nil {
				t.Fatalf("%s: %v", at.Name, err)
			}
			attacks[csr.Name] = at.Name
		}
		waitSkipped(t, a, attacks)
		stop()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		checkSkipReasons(t, a.Skipped(), attacks)
	})
	t.Run("once handles what is pending and returns", func(t *testing.T) {
		once, _ := NewApprover(ApproverOptions{Client: admin, Inventory: newInventory(t, nodes), Log: log})
		if err := once.Once(ctx); err != nil {
			t.Fatal(err)
		}
		if once.Approved() != 0 {
			t.Fatalf("approved %d CSRs, want 0", once.Approved())
		}
		checkSkipReasons(t, once.Skipped(), attacks)
	})
	t.Run("nothing denied, only the nodes' CSRs approved", func(t *testing.T) { checkCSRs(t, ctx, admin, attacks, 2*len(nodes)) })
	t.Run("retries, repeats and early serving CSRs", func(t *testing.T) { testSequences(t, ctx, k) })
}

// testSequences: of two client CSRs for a node only the newest is approved,
// a third after that is not, and a serving CSR made before its Node
// registered is approved once it has.
func testSequences(t *testing.T, ctx context.Context, k *testenv.Kube) {
	admin := testenv.Clientset(t, k.AdminConfig())
	x := Node{Name: "x0", FQDN: "x0.okd.example", IP: "127.0.1.50", Role: "worker"}
	log := &testLog{t: t}
	a, _ := NewApprover(ApproverOptions{Client: admin, Inventory: newInventory(t, []Node{x}), Log: log})
	boot := testenv.Clientset(t, k.BootstrapperConfig())
	mk := func(c kubernetes.Interface, r nodesim.CSR) string {
		csr, _, err := nodesim.Create(ctx, c, r)
		if err != nil {
			t.Fatal(err)
		}
		return csr.Name
	}
	client := nodesim.CSR{Signer: certv1.KubeAPIServerClientKubeletSignerName, CN: "system:node:" + x.FQDN,
		O: []string{"system:nodes"}, Usages: nodesim.ClientUsages}
	first := mk(boot, client)
	time.Sleep(1100 * time.Millisecond) // creation times have a resolution of a second
	second := mk(boot, client)
	once(t, ctx, a)
	wantState(t, ctx, admin, first, false, log, "a newer client CSR for this node ("+second+") is pending")
	wantState(t, ctx, admin, second, true, log, "")
	third := mk(boot, client)
	once(t, ctx, a)
	wantState(t, ctx, admin, third, false, log, "client CSR "+second+" for this node was already approved")

	kubelet := testenv.Clientset(t, k.CertConfig(t, "system:node:"+x.FQDN, "system:nodes"))
	serving := mk(kubelet, nodesim.CSR{Signer: certv1.KubeletServingSignerName, CN: "system:node:" + x.FQDN,
		O: []string{"system:nodes"}, DNS: []string{x.FQDN, x.Name}, IPs: []net.IP{net.ParseIP(x.IP)}, Usages: nodesim.ServingUsages})
	once(t, ctx, a)
	wantState(t, ctx, admin, serving, false, log, "Node x0.okd.example does not exist yet")
	if _, err := kubelet.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: x.FQDN}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	once(t, ctx, a)
	wantState(t, ctx, admin, serving, true, log, "")
}

func once(t *testing.T, ctx context.Context, a *Approver) {
	t.Helper()
	if err := a.Once(ctx); err != nil {
		t.Fatal(err)
	}
}

// wantState checks a CSR is approved or untouched, and the reason logged for skipping it.
func wantState(t *testing.T, ctx context.Context, c kubernetes.Interface, name string, approved bool, log *testLog, reason string) {
	t.Helper()
	csr, err := c.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if isApproved(csr) != approved || (!approved && len(csr.Status.Conditions) > 0) {
		t.Errorf("CSR %s: conditions %+v, want approved=%v", name, csr.Status.Conditions, approved)
	}
	if reason != "" && len(log.find("skipping CSR "+name+" ")) == 0 {
		t.Errorf("CSR %s: no skip logged", name)
	} else if reason != "" && !strings.Contains(strings.Join(log.find("skipping CSR "+name+" "), "\n"), reason) {
		t.Errorf("CSR %s: skip reasons %q, want %q", name, log.find("skipping CSR "+name+" "), reason)
	}
}

// joinAll joins the machines concurrently while the approver runs until they are Ready.
func joinAll(t *testing.T, ctx context.Context, a *Approver, sim *nodesim.Simulator, ms []nodesim.Machine) []*nodesim.Joined {
	done := make(chan error, 1)
	go func() { done <- a.UntilReady(ctx, WatchOptions{Timeout: time.Minute, Every: time.Second}) }()
	joined := make([]*nodesim.Joined, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j, err := sim.Join(ctx, m)
			if err != nil {
				t.Errorf("join %s: %v", m.Name, err)
			}
			joined[i] = j
		}()
	}
	wg.Wait()
	if err := <-done; err != nil {
		t.Fatalf("UntilReady: %v", err)
	}
	return joined
}

func waitSkipped(t *testing.T, a *Approver, attacks map[string]string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		skipped, all := a.Skipped(), true
		for name := range attacks {
			if _, ok := skipped[name]; !ok {
				all = false
			}
		}
		if all {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the approver did not examine every wrong CSR within 20s")
}

func checkSkipReasons(t *testing.T, skipped, attacks map[string]string) {
	t.Helper()
	if len(attacks) < 12 {
		t.Fatalf("only %d wrong CSRs made", len(attacks))
	}
	for csr, attack := range attacks {
		re := regexp.MustCompile(wantSkip[attack])
		if got, ok := skipped[csr]; !ok || !re.MatchString(got) || wantSkip[attack] == "" {
			t.Errorf("%s (%s): skip reason %q, want /%s/", attack, csr, got, wantSkip[attack])
		}
	}
}

// checkCSRs asserts no CSR is denied, every wrong one is untouched and
// exactly the nodes' CSRs are approved, by okdctl.
func checkCSRs(t *testing.T, ctx context.Context, c kubernetes.Interface, attacks map[string]string, wantApproved int) {
	t.Helper()
	list, err := c.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	approved := 0
	for _, csr := range list.Items {
		for _, cond := range csr.Status.Conditions {
			if cond.Type == certv1.CertificateDenied {
				t.Errorf("CSR %s was denied", csr.Name)
			}
			if cond.Type == certv1.CertificateApproved {
				approved++
				if cond.Reason != ApprovalReason || !regexp.MustCompile(`^approved by okdctl: `).MatchString(cond.Message) {
					t.Errorf("CSR %s approved with reason %q message %q", csr.Name, cond.Reason, cond.Message)
				}
			}
		}
		if attack, ok := attacks[csr.Name]; ok && len(csr.Status.Conditions) > 0 {
			t.Errorf("wrong CSR %s (%s) has conditions %+v", csr.Name, attack, csr.Status.Conditions)
		}
	}
	if approved != wantApproved {
		t.Errorf("%d CSRs approved, want %d (client and serving per node)", approved, wantApproved)
	}
}
