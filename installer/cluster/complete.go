package cluster

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// DefaultInstallTimeout is openshift-install's install-complete budget.
const DefaultInstallTimeout = 40 * time.Minute

// CompleteOptions configures WaitInstallComplete.
type CompleteOptions struct {
	Clients         *Clients
	Timeout         time.Duration // for both waits together (default 40 min)
	Interval, Every time.Duration
	Log             Logger
}

// CompleteResult is what a finished install reports.
type CompleteResult struct {
	Version    string
	ConsoleURL string
}

// WaitInstallComplete waits, as `openshift-install wait-for install-complete`
// does, for clusterversion/version Available=True, Progressing=False and
// Failing=False, then for the console route; it never reads the kubeadmin password.
func WaitInstallComplete(ctx context.Context, o CompleteOptions) (CompleteResult, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultInstallTimeout
	}
	deadline := time.Now().Add(o.Timeout)
	cv := &objectWait{What: "clusterversion/version Available, not Progressing, not Failing", Name: "version",
		Client: o.Clients.Dynamic.Resource(clusterVersionsGVR), Timeout: o.Timeout,
		Interval: o.Interval, Every: o.Every, Log: o.Log, Cond: installComplete}
	obj, err := cv.run(ctx)
	if err != nil {
		return CompleteResult{}, fmt.Errorf("failed to see the install complete: %w (see `oc get clusterversion` and `oc get clusteroperators`)", err)
	}
	res := CompleteResult{}
	res.Version, _, _ = unstructured.NestedString(obj.Object, "status", "desired", "version")
	route := &objectWait{What: "route openshift-console/console", Name: "console",
		Client: o.Clients.Dynamic.Resource(routesGVR).Namespace("openshift-console"), Timeout: max(time.Until(deadline), time.Minute),
		Interval: o.Interval, Every: o.Every, Log: o.Log, Cond: routeHost}
	if obj, err = route.run(ctx); err != nil {
		return res, fmt.Errorf("failed to find the console: %w (see `oc get clusteroperator console`)", err)
	}
	res.ConsoleURL = routeURL(obj)
	return res, nil
}

// installComplete is the clusterversion condition of a finished install.
func installComplete(obj *unstructured.Unstructured) (bool, string) {
	if obj == nil {
		return false, "clusterversion/version not created yet"
	}
	want := map[string]string{"Available": "True", "Progressing": "False", "Failing": "False"}
	done := true
	var state []string
	for _, typ := range []string{"Available", "Progressing", "Failing"} {
		c, ok := findCondition(obj, typ)
		if !ok {
			c = condition{Type: typ, Status: "Unknown"}
		}
		if c.Status != want[typ] {
			done = false
			state = append(state, c.String())
		}
	}
	if done {
		return true, "install complete"
	}
	return false, strings.Join(state, "; ")
}

func routeHost(obj *unstructured.Unstructured) (bool, string) {
	if obj == nil {
		return false, ""
	}
	host, _, _ := unstructured.NestedString(obj.Object, "spec", "host")
	return host != "", "the route has no host yet"
}

// routeURL is https://host for a TLS route (the console's), http:// otherwise.
func routeURL(obj *unstructured.Unstructured) string {
	host, _, _ := unstructured.NestedString(obj.Object, "spec", "host")
	if _, tls, _ := unstructured.NestedMap(obj.Object, "spec", "tls"); tls {
		return "https://" + host
	}
	return "http://" + host
}
