package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// The unsupported single-member overrides of old releases (4.5-4.7).
const (
	EtcdOverrideKey = "useUnsupportedUnsafeNonHANonProductionUnstableEtcd"
	AuthOverrideKey = "useUnsupportedUnsafeNonHANonProductionUnstableOAuthServer"
)

// ScalePlan is what a small cluster needs from the operators, decided by
// the caller from the topology and the release.
type ScalePlan struct {
	// IngressReplicas sets ingresscontroller/default replicas (0: leave
	// the ingress operator's choice alone).
	IngressReplicas int64
	// EtcdOverride and AuthOverride set the unsupported single-member
	// overrides (old releases with one master only; removed after install).
	EtcdOverride, AuthOverride bool
}

// ScaleOptions configures Scale.
type ScaleOptions struct {
	Clients *Clients
	Plan    ScalePlan
	// WaitTimeout bounds the wait for each operator resource to exist (default 30 min).
	WaitTimeout time.Duration
	// Settle is how long to wait before re-reading that a change held (default 30 s).
	Settle          time.Duration
	Interval, Every time.Duration
	Log             Logger
}

// Setting is one field of one operator resource.
type Setting struct {
	What      string
	GVR       schema.GroupVersionResource
	Namespace string
	Name      string
	Path      []string
	Value     any // nil removes the field
}

// object is kind/name ("ingresscontroller/default").
func (s Setting) object() string { return strings.TrimSuffix(s.GVR.Resource, "s") + "/" + s.Name }

// Ref is the object and the field.
func (s Setting) Ref() string { return s.object() + " " + strings.Join(s.Path, ".") }

// Settings lists the fields the plan changes.
func (p ScalePlan) Settings() []Setting {
	var out []Setting
	if p.IngressReplicas > 0 {
		out = append(out, Setting{What: "router replicas", GVR: ingressControllersGVR, Namespace: "openshift-ingress-operator",
			Name: "default", Path: []string{"spec", "replicas"}, Value: p.IngressReplicas})
	}
	if p.EtcdOverride {
		out = append(out, etcdOverride(true))
	}
	if p.AuthOverride {
		out = append(out, authOverride(true))
	}
	return out
}

func etcdOverride(on bool) Setting {
	return Setting{What: "unsupported single-member etcd override", GVR: etcdsGVR, Name: "cluster",
		Path: []string{"spec", "unsupportedConfigOverrides", EtcdOverrideKey}, Value: onOrNil(on)}
}

func authOverride(on bool) Setting {
	return Setting{What: "unsupported single-replica OAuth server override", GVR: authenticationsGVR, Name: "cluster",
		Path: []string{"spec", "unsupportedConfigOverrides", AuthOverrideKey}, Value: onOrNil(on)}
}

func onOrNil(on bool) any {
	if on {
		return true
	}
	return nil
}

// Scale applies the plan through the operators' own resources (never by
// scaling what an operator scales back), then re-reads after Settle that
// every change held. It returns one line per setting.
func Scale(ctx context.Context, o ScaleOptions) ([]string, error) {
	o.defaults()
	var report []string
	settings := o.Plan.Settings()
	for _, s := range settings {
		line, err := o.apply(ctx, s)
		if err != nil {
			return report, err
		}
		report = append(report, line)
	}
	if len(settings) == 0 {
		return nil, nil
	}
	o.Log.Progressf("checking in %s that the changes hold", o.Settle)
	select {
	case <-ctx.Done():
		return report, ctx.Err()
	case <-time.After(o.Settle):
	}
	for _, s := range settings {
		if err := o.verify(ctx, s); err != nil {
			return report, err
		}
	}
	return report, nil
}

func (o *ScaleOptions) defaults() {
	if o.WaitTimeout <= 0 {
		o.WaitTimeout = 30 * time.Minute
	}
	if o.Settle <= 0 {
		o.Settle = 30 * time.Second
	}
	o.Log = orNop(o.Log)
}

// apply waits for the resource, and patches the field when it differs.
func (o *ScaleOptions) apply(ctx context.Context, s Setting) (string, error) {
	obj, err := o.waitExists(ctx, s)
	if err != nil {
		return "", err
	}
	got, found, _ := unstructured.NestedFieldNoCopy(obj.Object, s.Path...)
	if same(got, found, s.Value) {
		return fmt.Sprintf("%s: %s already %v", s.What, s.Ref(), show(s.Value)), nil
	}
	if err := o.patch(ctx, s); err != nil {
		return "", err
	}
	line := fmt.Sprintf("%s: set %s to %v (was %v)", s.What, s.Ref(), show(s.Value), showFound(got, found))
	o.Log.Infof("%s", line)
	return line, nil
}

func (o *ScaleOptions) waitExists(ctx context.Context, s Setting) (*unstructured.Unstructured, error) {
	w := &objectWait{What: s.object() + " to exist", Name: s.Name, Timeout: o.WaitTimeout,
		Client: o.Clients.Dynamic.Resource(s.GVR).Namespace(s.Namespace), Interval: o.Interval, Every: o.Every, Log: o.Log,
		Cond: func(obj *unstructured.Unstructured) (bool, string) { return obj != nil, "" }}
	obj, err := w.run(ctx)
	if err != nil {
		return nil, fmt.Errorf("failed to set the %s: %w", s.What, err)
	}
	return obj, nil
}

// patch sends a JSON merge patch setting (or, with a nil value, removing) the field.
func (o *ScaleOptions) patch(ctx context.Context, s Setting) error {
	var doc any = s.Value
	for i := len(s.Path) - 1; i >= 0; i-- {
		doc = map[string]any{s.Path[i]: doc}
	}
	data, _ := json.Marshal(doc)
	_, err := o.Clients.Dynamic.Resource(s.GVR).Namespace(s.Namespace).Patch(ctx, s.Name, types.MergePatchType, data, metav1.PatchOptions{})
	if err != nil {
		return fmt.Errorf("failed to set %s: %w", s.Ref(), err)
	}
	return nil
}

// verify re-reads the field: a change an operator reverted is an error.
func (o *ScaleOptions) verify(ctx context.Context, s Setting) error {
	obj, err := o.Clients.Dynamic.Resource(s.GVR).Namespace(s.Namespace).Get(ctx, s.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("failed to re-read %s: %w", s.Ref(), err)
	}
	got, found, _ := unstructured.NestedFieldNoCopy(obj.Object, s.Path...)
	if !same(got, found, s.Value) {
		return fmt.Errorf("failed to keep %s at %v: it is %v again %s later (something reverts it; check who manages %s)",
			s.Ref(), show(s.Value), showFound(got, found), o.Settle, s.GVR.Resource)
	}
	return nil
}

func same(got any, found bool, want any) bool {
	if want == nil {
		return !found || got == nil
	}
	return found && fmt.Sprint(got) == fmt.Sprint(want)
}

func show(v any) string {
	if v == nil {
		return "unset"
	}
	return fmt.Sprint(v)
}

func showFound(v any, found bool) string {
	if !found {
		return "unset"
	}
	return show(v)
}
