package cluster

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/testenv"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

func scaleOptions(c *Clients, log Logger, plan ScalePlan) ScaleOptions {
	return ScaleOptions{Clients: c, Plan: plan, WaitTimeout: 10 * time.Second, Settle: 300 * time.Millisecond,
		Interval: 100 * time.Millisecond, Every: 500 * time.Millisecond, Log: log}
}

// testScale: the router replicas are set through ingresscontroller/default
// (waited for until the ingress operator would create it), and hold.
func testScale(t *testing.T, c *Clients) {
	ctx := testenv.Context(t, time.Minute)
	go func() {
		time.Sleep(500 * time.Millisecond)
		create(t, c, ingressControllersGVR, obj("operator.openshift.io/v1", "IngressController", "openshift-ingress-operator", "default", map[string]any{}))
	}()
	o := scaleOptions(c, &testLog{t: t}, ScalePlan{IngressReplicas: 1})
	report, err := Scale(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	want := "router replicas: set ingresscontroller/default spec.replicas to 1 (was unset)"
	if len(report) != 1 || report[0] != want {
		t.Fatalf("report %q, want %q", report, want)
	}
	if got := replicas(t, c); got != 1 {
		t.Fatalf("replicas %d", got)
	}
	report, err = Scale(ctx, o)
	if err != nil || len(report) != 1 || !strings.Contains(report[0], "already 1") {
		t.Fatalf("re-run: %q %v", report, err)
	}
	if report, err := Scale(ctx, scaleOptions(c, nil, ScalePlan{})); err != nil || report != nil {
		t.Fatalf("a release that sizes itself got %q %v", report, err)
	}
}

// testScaleReverted: a change something scales back is an error, not a success.
func testScaleReverted(t *testing.T, c *Clients) {
	ctx := testenv.Context(t, time.Minute)
	patchReplicas(t, c, 2)
	stop := revertReplicas(t, ctx, c, 2)
	defer stop()
	_, err := Scale(ctx, scaleOptions(c, &testLog{t: t}, ScalePlan{IngressReplicas: 1}))
	wantErr(t, err, `failed to keep ingresscontroller/default spec.replicas at 1: it is 2 again 300ms later`)
}

// revertReplicas plays an operator that puts replicas back to n.
func revertReplicas(t *testing.T, ctx context.Context, c *Clients, n int64) func() {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		for ctx.Err() == nil {
			if replicas(t, c) != n {
				patchReplicas(t, c, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return cancel
}

func replicas(t *testing.T, c *Clients) int64 {
	u, err := c.Dynamic.Resource(ingressControllersGVR).Namespace("openshift-ingress-operator").Get(context.Background(), "default", metav1.GetOptions{})
	if err != nil {
		t.Error(err)
		return 0
	}
	n, _, _ := unstructured.NestedInt64(u.Object, "spec", "replicas")
	return n
}

func patchReplicas(t *testing.T, c *Clients, n int64) {
	_, err := c.Dynamic.Resource(ingressControllersGVR).Namespace("openshift-ingress-operator").Patch(context.Background(), "default",
		types.MergePatchType, []byte(fmt.Sprintf(`{"spec":{"replicas":%d}}`, n)), metav1.PatchOptions{})
	if err != nil {
		t.Error(err)
	}
}

// testOverrides: the old-release etcd override is set, then removed after
// install without touching another override, and reported once.
func testOverrides(t *testing.T, c *Clients) {
	ctx := testenv.Context(t, time.Minute)
	_, err := c.Dynamic.Resource(etcdsGVR).Patch(ctx, "cluster", types.MergePatchType,
		[]byte(`{"spec":{"unsupportedConfigOverrides":{"someoneElses":"keep"}}}`), metav1.PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	plan := ScalePlan{EtcdOverride: true}
	report, err := Scale(ctx, scaleOptions(c, &testLog{t: t}, plan))
	if err != nil || len(report) != 1 || !strings.Contains(report[0], "set etcd/cluster spec.unsupportedConfigOverrides."+EtcdOverrideKey+" to true") {
		t.Fatalf("scale: %q %v", report, err)
	}
	if got := overrides(t, c); got[EtcdOverrideKey] != true || got["someoneElses"] != "keep" {
		t.Fatalf("overrides after scale: %v", got)
	}
	report, err = RemoveOverrides(ctx, c, plan, &testLog{t: t})
	if err != nil || len(report) != 1 || !strings.Contains(report[0], "removed the unsupported single-member etcd override") {
		t.Fatalf("remove: %q %v", report, err)
	}
	if got := overrides(t, c); len(got) != 1 || got["someoneElses"] != "keep" {
		t.Fatalf("overrides after removal: %v", got)
	}
	if report, err = RemoveOverrides(ctx, c, plan, nil); err != nil || len(report) != 0 {
		t.Fatalf("second removal: %q %v", report, err)
	}
	// The authentication resource does not exist: nothing to remove.
	if report, err = RemoveOverrides(ctx, c, ScalePlan{AuthOverride: true}, nil); err != nil || len(report) != 0 {
		t.Fatalf("absent authentication/cluster: %q %v", report, err)
	}
}

func overrides(t *testing.T, c *Clients) map[string]any {
	u, err := c.Dynamic.Resource(etcdsGVR).Get(context.Background(), "cluster", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, _, _ := unstructured.NestedMap(u.Object, "spec", "unsupportedConfigOverrides")
	return m
}
