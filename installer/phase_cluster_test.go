package installer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/nodesim"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/spec"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

var (
	testConfigMaps = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	testEtcds      = schema.GroupVersionResource{Group: "operator.openshift.io", Version: "v1", Resource: "etcds"}
	testIngress    = schema.GroupVersionResource{Group: "operator.openshift.io", Version: "v1", Resource: "ingresscontrollers"}
	testCVs        = schema.GroupVersionResource{Group: "config.openshift.io", Version: "v1", Resource: "clusterversions"}
	testRoutes     = schema.GroupVersionResource{Group: "route.openshift.io", Version: "v1", Resource: "routes"}
)

// clusterSpec is the sandbox example with 3 masters and 2 workers on loopback.
func clusterSpec(t *testing.T, workers int) *spec.Cluster {
	c := loadExampleForFlow(t, "sandbox")
	c.Spec.Nodes = []spec.Node{{Name: "bootstrap", Role: spec.RoleBootstrap, IP: "127.0.1.2"}}
	for i := 0; i < 3+workers; i++ {
		name, role := fmt.Sprintf("m%d", i), spec.RoleMaster
		if i >= 3 {
			name, role = fmt.Sprintf("w%d", i-3), spec.RoleWorker
		}
		c.Spec.Nodes = append(c.Spec.Nodes, spec.Node{Name: name, Role: role, IP: fmt.Sprintf("127.0.1.%d", 3+i)})
	}
	c.Spec.Timeouts = spec.Timeouts{API: spec.Duration{Duration: 10 * time.Second}, Bootstrap: spec.Duration{Duration: 20 * time.Second},
		EtcdBootstrap: spec.Duration{Duration: 10 * time.Second}, Nodes: spec.Duration{Duration: time.Minute}, Install: spec.Duration{Duration: 20 * time.Second}}
	return c
}

// TestClusterPhases runs bootstrap, approve, scale and complete against a
// real kube-apiserver, with simulated nodes joining.
func TestClusterPhases(t *testing.T) {
	k := testenv.StartKube(t, testenv.KubeOptions{})
	for _, ns := range []string{"openshift-ingress-operator", "openshift-console"} {
		k.EnsureNamespace(t, ns)
	}
	ctx := testenv.Context(t, 2*time.Minute)
	nodesim.RunSigner(ctx, testenv.Clientset(t, k.AdminConfig()), k.CA)
	dyn := testenv.Dynamic(t, k.AdminConfig())
	c := clusterSpec(t, 2)
	rc, out := flowRC(t, c, t.TempDir(), nil)
	rc.kubeconfig = k.Kubeconfig

	t.Run("bootstrap", func(t *testing.T) { testBootstrapPhase(t, ctx, rc, dyn, out) })
	t.Run("approve", func(t *testing.T) { testApprovePhase(t, ctx, rc, k) })
	t.Run("scale", func(t *testing.T) { testScalePhase(t, ctx, k, dyn) })
	t.Run("complete", func(t *testing.T) { testCompletePhase(t, ctx, rc, dyn, out) })
}

func testBootstrapPhase(t *testing.T, ctx context.Context, rc *RunContext, dyn dynamic.Interface, out *syncBuffer) {
	web := rc.IgnitionWebDir()
	for _, n := range []string{"bootstrap.ign", "m0.ign"} {
		if err := os.MkdirAll(web, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(web, n), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lb := &fakeRemover{}
	phase := &BootstrapPhase{LoadBalancer: lb}
	done := make(chan error, 1)
	go func() { done <- phase.Run(ctx, rc) }()
	createObj(t, dyn, testConfigMaps, obj("v1", "ConfigMap", "kube-system", "bootstrap", map[string]any{"data": map[string]any{"status": "complete"}}))
	time.Sleep(500 * time.Millisecond)
	if lb.calls.Load() != 0 {
		t.Fatal("the bootstrap servers were dropped before etcd removed its bootstrap member")
	}
	etcd := createObj(t, dyn, testEtcds, obj("operator.openshift.io/v1", "Etcd", "", "cluster", map[string]any{"spec": map[string]any{"managementState": "Managed"}}))
	etcd.Object["status"] = map[string]any{"conditions": []any{map[string]any{"type": "EtcdBootstrapMemberRemoved", "status": "True",
		"lastTransitionTime": time.Now().UTC().Format(time.RFC3339)}}}
	if _, err := dyn.Resource(testEtcds).UpdateStatus(ctx, etcd, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("bootstrap: %v\n%s", err, out)
	}
	if lb.calls.Load() != 1 {
		t.Errorf("the load balancer was asked %d times to drop the bootstrap servers", lb.calls.Load())
	}
	if _, err := os.Stat(filepath.Join(web, "bootstrap.ign")); !os.IsNotExist(err) {
		t.Errorf("bootstrap.ign still published: %v", err)
	}
	if _, err := os.Stat(filepath.Join(web, "m0.ign")); err != nil {
		t.Errorf("m0.ign removed: %v", err)
	}
	if ok, err := (&BootstrapPhase{}).Done(ctx, rc); !ok || err != nil {
		t.Errorf("Done after bootstrap: %v %v", ok, err)
	}
	changes := rc.Host().Changes()
	if err := phase.Run(ctx, rc); err != nil || rc.Host().Changes() != changes {
		t.Errorf("re-run: %v, %d file changes", err, rc.Host().Changes()-changes)
	}
}

func testApprovePhase(t *testing.T, ctx context.Context, rc *RunContext, k *testenv.Kube) {
	if ok, _ := (&ApprovePhase{}).Done(ctx, rc); ok {
		t.Fatal("Done before any node joined")
	}
	done := make(chan error, 1)
	go func() { done <- (&ApprovePhase{}).Run(ctx, rc) }()
	sim := &nodesim.Simulator{Bootstrap: testenv.Clientset(t, k.BootstrapperConfig()), NodeConfig: k.CertPEMConfig}
	var wg sync.WaitGroup
	for _, n := range NodeInventory(rc.Cluster()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := sim.Join(ctx, nodesim.Machine{Name: n.FQDN, IP: n.IP}); err != nil {
				t.Errorf("join %s: %v", n.FQDN, err)
			}
		}()
	}
	wg.Wait()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if ok, err := (&ApprovePhase{}).Done(ctx, rc); !ok || err != nil {
		t.Errorf("Done after every node joined: %v %v", ok, err)
	}
}

func testScalePhase(t *testing.T, ctx context.Context, k *testenv.Kube, dyn dynamic.Interface) {
	if run, why := (&ScalePhase{}).ShouldRun(&RunContext{cluster: clusterSpec(t, 2), release: mustVersion(t, "4.16")}); run ||
		!strings.Contains(why, "sizes itself for 3 masters and 2 workers") {
		t.Errorf("3 masters + 2 workers: ShouldRun %v %q", run, why)
	}
	one := clusterSpec(t, 1)
	rc, out := flowRC(t, one, t.TempDir(), nil)
	rc.kubeconfig = k.Kubeconfig
	createObj(t, dyn, testIngress, obj("operator.openshift.io/v1", "IngressController", "openshift-ingress-operator", "default", nil))
	if err := (&ScalePhase{Settle: 200 * time.Millisecond}).Run(ctx, rc); err != nil {
		t.Fatalf("scale: %v\n%s", err, out)
	}
	ic, err := dyn.Resource(testIngress).Namespace("openshift-ingress-operator").Get(ctx, "default", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n, _, _ := unstructured.NestedInt64(ic.Object, "spec", "replicas"); n != 1 {
		t.Errorf("router replicas %d, want 1", n)
	}
	if !strings.Contains(out.String(), "one worker is an unsupported topology on 4.16") {
		t.Errorf("no warning about one worker:\n%s", out)
	}
}

func testCompletePhase(t *testing.T, ctx context.Context, rc *RunContext, dyn dynamic.Interface, out *syncBuffer) {
	pw := kubeadminPasswordFile(rc)
	if err := os.MkdirAll(filepath.Dir(pw), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pw, []byte("Xq9-very-secret-kubeadmin"), 0o600); err != nil {
		t.Fatal(err)
	}
	cv := createObj(t, dyn, testCVs, obj("config.openshift.io/v1", "ClusterVersion", "", "version",
		map[string]any{"spec": map[string]any{"clusterID": "6a0c6d4c-3b5a-4f4e-9d1e-0b8a8e3f1c11"}}))
	now := time.Now().UTC().Format(time.RFC3339)
	cond := func(typ, st string) any {
		return map[string]any{"type": typ, "status": st, "lastTransitionTime": now}
	}
	cv.Object["status"] = map[string]any{"desired": map[string]any{"version": "4.16.0-okd", "image": "x"},
		"observedGeneration": int64(1), "versionHash": "x", "availableUpdates": nil,
		"conditions": []any{cond("Available", "True"), cond("Progressing", "False"), cond("Failing", "False")}}
	if _, err := dyn.Resource(testCVs).UpdateStatus(ctx, cv, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	createObj(t, dyn, testRoutes, obj("route.openshift.io/v1", "Route", "openshift-console", "console", map[string]any{"spec": map[string]any{
		"host": "console-openshift-console.apps.sandbox.okd.test", "to": map[string]any{"kind": "Service", "name": "console"},
		"tls": map[string]any{"termination": "reencrypt"}}}))
	if err := (&CompletePhase{}).Run(ctx, rc); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"console: https://console-openshift-console.apps.sandbox.okd.test", "password in " + pw, "4.16.0-okd"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out.String(), "Xq9-very-secret-kubeadmin") {
		t.Error("the kubeadmin password was printed")
	}
}

// TestClusterPhasesDryRun: plan describes the waits and contacts nothing.
func TestClusterPhasesDryRun(t *testing.T) {
	c := clusterSpec(t, 1)
	rc, _ := flowRC(t, c, t.TempDir(), nil)
	rc.host = bastion.NewHost(bastion.HostOptions{Root: t.TempDir(), DryRun: true})
	rc.kubeconfig = filepath.Join(t.TempDir(), "missing-kubeconfig")
	ctx := testenv.Context(t, 10*time.Second)
	for _, p := range []DryRunner{&BootstrapPhase{}, &ApprovePhase{}, &ScalePhase{}, &CompletePhase{}} {
		if err := p.DryRun(ctx, rc); err != nil {
			t.Fatalf("%T: %v", p, err)
		}
	}
	var notes []string
	for _, p := range rc.Host().Rec.Take() {
		notes = append(notes, p.Summary)
	}
	all := strings.Join(notes, "\n")
	for _, want := range []string{"ConfigMap kube-system/bootstrap status complete", "EtcdBootstrapMemberRemoved=True",
		"m0.sandbox.okd.test", "ingresscontroller/default spec.replicas to 1", "console URL"} {
		if !strings.Contains(all, want) {
			t.Errorf("plan lacks %q:\n%s", want, all)
		}
	}
}

// fakeRemover stands in for the loadbalancer phase's bootstrap removal.
type fakeRemover struct{ calls atomic.Int32 }

func (f *fakeRemover) RemoveBootstrap(context.Context, *RunContext) (bool, error) {
	return f.calls.Add(1) == 1, nil
}

func obj(apiVersion, kind, ns, name string, extra map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind,
		"metadata": map[string]any{"name": name, "namespace": ns}}}
	for k, v := range extra {
		u.Object[k] = v
	}
	return u
}

func createObj(t *testing.T, dyn dynamic.Interface, gvr schema.GroupVersionResource, u *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	out, err := dyn.Resource(gvr).Namespace(u.GetNamespace()).Create(context.Background(), u, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create %s: %v", gvr.Resource, err)
	}
	return out
}
