package cluster

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/testenv"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
)

// TestClusterWaits runs the bootstrap, scale and complete waits against a
// real kube-apiserver with the OpenShift CRDs.
func TestClusterWaits(t *testing.T) {
	k := testenv.StartKube(t, testenv.KubeOptions{Users: []testenv.KubeUser{{Name: "nobody", Groups: []string{"nobody"}}}})
	for _, ns := range []string{"openshift-ingress-operator", "openshift-console"} {
		k.EnsureNamespace(t, ns)
	}
	c := clients(t, k.AdminConfig())
	t.Run("bootstrap", func(t *testing.T) { testBootstrap(t, c) })
	t.Run("bootstrap timeouts", func(t *testing.T) { testBootstrapTimeouts(t, k) })
	t.Run("scale", func(t *testing.T) { testScale(t, c) })
	t.Run("scale reverted", func(t *testing.T) { testScaleReverted(t, c) })
	t.Run("overrides", func(t *testing.T) { testOverrides(t, c) })
	t.Run("complete", func(t *testing.T) { testComplete(t, c) })
}

func clients(t testing.TB, cfg *rest.Config) *Clients {
	t.Helper()
	c, err := NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fast(log Logger) BootstrapOptions {
	return BootstrapOptions{APITimeout: 10 * time.Second, BootstrapTimeout: 20 * time.Second, EtcdTimeout: 10 * time.Second,
		WaitEtcd: true, Interval: 100 * time.Millisecond, Every: 500 * time.Millisecond, Log: log}
}

func testBootstrap(t *testing.T, c *Clients) {
	ctx := testenv.Context(t, time.Minute)
	log := &testLog{t: t}
	o := fast(log)
	o.Clients = c
	done := make(chan error, 1)
	go func() { done <- WaitBootstrap(ctx, o) }()

	cm := obj("v1", "ConfigMap", "kube-system", "bootstrap", nil)
	cm.Object["data"] = map[string]any{"status": "progressing"}
	create(t, c, configMapsGVR, cm)
	notDone(t, done, "bootstrap status \"progressing\"")
	cm.Object["data"] = map[string]any{"status": "complete"}
	update(t, c, configMapsGVR, cm)
	etcd := obj("operator.openshift.io/v1", "Etcd", "", "cluster", map[string]any{"managementState": "Managed"})
	etcd = create(t, c, etcdsGVR, etcd)
	setConditions(t, c, etcdsGVR, etcd, map[string]string{"EtcdBootstrapMemberRemoved": "False"})
	notDone(t, done, "bootstrap complete alone")
	waitLog(t, log, "EtcdBootstrapMemberRemoved=False")
	setConditions(t, c, etcdsGVR, etcd, map[string]string{"EtcdBootstrapMemberRemoved": "True"})
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the wait did not end after bootstrap complete and EtcdBootstrapMemberRemoved=True")
	}
}

func testBootstrapTimeouts(t *testing.T, k *testenv.Kube) {
	ctx := testenv.Context(t, time.Minute)
	t.Run("API never answers", func(t *testing.T) {
		dead := &rest.Config{Host: fmt.Sprintf("https://127.0.0.1:%d", testenv.FreePort(t, ""))}
		o := fast(&testLog{t: t})
		o.Clients, o.APITimeout = clients(t, dead), time.Second
		wantErr(t, WaitBootstrap(ctx, o), `timed out after 1s waiting for the Kubernetes API \(/version\): last error: .*connection refused`)
	})
	t.Run("status never complete", func(t *testing.T) {
		o := fast(&testLog{t: t})
		o.Clients, o.BootstrapTimeout = clients(t, k.AdminConfig()), time.Second
		cm := obj("v1", "ConfigMap", "kube-system", "bootstrap", nil)
		cm.Object["data"] = map[string]any{"status": "progressing"}
		update(t, o.Clients, configMapsGVR, cm)
		wantErr(t, WaitBootstrap(ctx, o), `timed out after 1s waiting for ConfigMap kube-system/bootstrap status complete \(last seen: bootstrap status "progressing"\)`)
	})
	t.Run("forbidden, logged once", func(t *testing.T) {
		log := &testLog{t: t}
		o := fast(log)
		o.Clients, o.BootstrapTimeout = clients(t, k.UserConfig(t, "nobody")), 1500*time.Millisecond
		wantErr(t, WaitBootstrap(ctx, o), `timed out after 1.5s .*last error: configmaps "bootstrap" is forbidden: User "nobody"`)
		if n := len(log.find("forbidden")); n != 1 {
			t.Errorf("the same error was logged %d times, want once", n)
		}
	})
}

func testComplete(t *testing.T, c *Clients) {
	ctx := testenv.Context(t, time.Minute)
	log := &testLog{t: t}
	done := make(chan error, 1)
	var res CompleteResult
	go func() {
		var err error
		res, err = WaitInstallComplete(ctx, CompleteOptions{Clients: c, Timeout: 20 * time.Second,
			Interval: 100 * time.Millisecond, Every: 500 * time.Millisecond, Log: log})
		done <- err
	}()
	cv := create(t, c, clusterVersionsGVR, obj("config.openshift.io/v1", "ClusterVersion", "", "version",
		map[string]any{"clusterID": "6a0c6d4c-3b5a-4f4e-9d1e-0b8a8e3f1c11"}))
	cv.Object["status"] = map[string]any{"desired": map[string]any{"version": "4.14.0", "image": "quay.io/openshift/okd@sha256:0"},
		"observedGeneration": int64(1), "versionHash": "x", "availableUpdates": nil}
	setConditions(t, c, clusterVersionsGVR, cv, map[string]string{"Available": "False", "Progressing": "True", "Failing": "False"})
	notDone(t, done, "still progressing")
	setConditions(t, c, clusterVersionsGVR, cv, map[string]string{"Available": "True", "Progressing": "False", "Failing": "False"})
	waitLog(t, log, "route openshift-console/console")
	notDone(t, done, "no console route")
	route := obj("route.openshift.io/v1", "Route", "openshift-console", "console", map[string]any{
		"host": "console-openshift-console.apps.okd.example", "to": map[string]any{"kind": "Service", "name": "console"},
		"tls": map[string]any{"termination": "reencrypt"}})
	create(t, c, routesGVR, route)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if res.ConsoleURL != "https://console-openshift-console.apps.okd.example" || res.Version != "4.14.0" {
		t.Fatalf("result %+v", res)
	}
}

func obj(apiVersion, kind, ns, name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind,
		"metadata": map[string]any{"name": name, "namespace": ns}}}
	if spec != nil {
		u.Object["spec"] = spec
	}
	return u
}

func create(t *testing.T, c *Clients, gvr schema.GroupVersionResource, u *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	out, err := c.Dynamic.Resource(gvr).Namespace(u.GetNamespace()).Create(context.Background(), u, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create %s: %v", gvr.Resource, err)
	}
	return out
}

func update(t *testing.T, c *Clients, gvr schema.GroupVersionResource, u *unstructured.Unstructured) {
	t.Helper()
	ri := c.Dynamic.Resource(gvr).Namespace(u.GetNamespace())
	cur, err := ri.Get(context.Background(), u.GetName(), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u.SetResourceVersion(cur.GetResourceVersion())
	if _, err := ri.Update(context.Background(), u, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update %s: %v", gvr.Resource, err)
	}
}

// setConditions writes status.conditions through the status subresource.
func setConditions(t *testing.T, c *Clients, gvr schema.GroupVersionResource, u *unstructured.Unstructured, conds map[string]string) {
	t.Helper()
	ri := c.Dynamic.Resource(gvr).Namespace(u.GetNamespace())
	cur, err := ri.Get(context.Background(), u.GetName(), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	status, _ := u.Object["status"].(map[string]any)
	if status == nil {
		status = map[string]any{}
	}
	var list []any
	for typ, st := range conds {
		list = append(list, map[string]any{"type": typ, "status": st, "reason": "Test",
			"message": "set by the test", "lastTransitionTime": time.Now().UTC().Format(time.RFC3339)})
	}
	status["conditions"] = list
	cur.Object["status"] = status
	if _, err := ri.UpdateStatus(context.Background(), cur, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update %s status: %v", gvr.Resource, err)
	}
}

func notDone(t *testing.T, done chan error, why string) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("the wait ended (%v) although %s", err, why)
	case <-time.After(time.Second):
	}
}

func wantErr(t *testing.T, err error, re string) {
	t.Helper()
	if err == nil || !regexp.MustCompile(re).MatchString(err.Error()) {
		t.Fatalf("error %v, want /%s/", err, re)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("multi-line error: %v", err)
	}
}
