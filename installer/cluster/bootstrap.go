package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/okdctl/okdctl/bastion"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Default deadlines of the bootstrap wait (openshift-install's, bare metal).
const (
	DefaultAPITimeout       = 20 * time.Minute
	DefaultDNSTimeout       = time.Minute
	DefaultBootstrapTimeout = 60 * time.Minute
	DefaultEtcdTimeout      = 5 * time.Minute
)

// BootstrapOptions configures WaitBootstrap.
type BootstrapOptions struct {
	Clients *Clients
	// Deadlines of the three waits (0: the defaults above).
	APITimeout, BootstrapTimeout, EtcdTimeout time.Duration
	// DNSTimeout ends the API wait when the API's name has not resolved
	// for that long (0: DefaultDNSTimeout).
	DNSTimeout time.Duration
	// WaitEtcd also waits for etcd's EtcdBootstrapMemberRemoved condition
	// (releases whose installer waits for it).
	WaitEtcd bool
	// Interval between /version probes and between retries (default 2 s).
	Interval time.Duration
	// Every is how often progress is reported (default 30 s).
	Every time.Duration
	Log   Logger
}

// WaitBootstrap waits as `openshift-install wait-for bootstrap-complete`
// does: the API answers /version, then ConfigMap kube-system/bootstrap says
// status complete, then (where the release has it) etcd reports the
// bootstrap member removed. Only then may the bootstrap node go.
func WaitBootstrap(ctx context.Context, o BootstrapOptions) error {
	o.defaults()
	if err := waitAPI(ctx, o); err != nil {
		return err
	}
	cm := &objectWait{What: "ConfigMap kube-system/bootstrap status complete", Name: "bootstrap",
		Client: o.Clients.Dynamic.Resource(configMapsGVR).Namespace("kube-system"), Timeout: o.BootstrapTimeout,
		Interval: o.Interval, Every: o.Every, Log: o.Log, Cond: bootstrapComplete}
	if _, err := cm.run(ctx); err != nil {
		return fmt.Errorf("failed to see bootstrap complete: %w (see `journalctl -b -f -u bootkube.service` on the bootstrap node)", err)
	}
	if !o.WaitEtcd {
		return nil
	}
	etcd := &objectWait{What: "etcd condition EtcdBootstrapMemberRemoved=True", Name: "cluster",
		Client: o.Clients.Dynamic.Resource(etcdsGVR), Timeout: o.EtcdTimeout,
		Interval: o.Interval, Every: o.Every, Log: o.Log, Cond: conditionIs("EtcdBootstrapMemberRemoved", "True")}
	if _, err := etcd.run(ctx); err != nil {
		return fmt.Errorf("failed to see the bootstrap etcd member removed: %w (see `oc get etcd cluster -o yaml`)", err)
	}
	return nil
}

func (o *BootstrapOptions) defaults() {
	if o.APITimeout <= 0 {
		o.APITimeout = DefaultAPITimeout
	}
	if o.DNSTimeout <= 0 {
		o.DNSTimeout = DefaultDNSTimeout
	}
	if o.BootstrapTimeout <= 0 {
		o.BootstrapTimeout = DefaultBootstrapTimeout
	}
	if o.EtcdTimeout <= 0 {
		o.EtcdTimeout = DefaultEtcdTimeout
	}
	if o.Interval <= 0 {
		o.Interval = 2 * time.Second
	}
	o.Log = orNop(o.Log)
}

// waitAPI probes /version every Interval until it answers. A name that
// does not resolve for DNSTimeout ends the wait with a message about DNS:
// no load balancer can help then.
func waitAPI(ctx context.Context, o BootstrapOptions) error {
	var version string
	unresolved := &unresolvedName{Timeout: o.DNSTimeout}
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	err := bastion.Poll(pctx, bastion.WaitOptions{What: "the Kubernetes API (/version)", Timeout: o.APITimeout,
		Interval: o.Interval, Every: o.Every, Log: o.Log.Progressf},
		func(ctx context.Context) (bool, error) {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			v, err := serverVersion(ctx, o.Clients)
			version = v
			if unresolved.see(err) {
				stop()
			}
			return err == nil, err
		})
	if unresolved.failed != nil {
		return unresolved.failed
	}
	if err != nil {
		return fmt.Errorf("failed to reach the Kubernetes API: %w (check the loadbalancer phase and the bootstrap node)", err)
	}
	o.Log.Infof("the Kubernetes API answers (%s)", version)
	return nil
}

func serverVersion(ctx context.Context, c *Clients) (string, error) {
	raw, err := c.Kube.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return "", err
	}
	var v struct {
		GitVersion string `json:"gitVersion"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("failed to read /version: %w", err)
	}
	return v.GitVersion, nil
}

// bootstrapComplete is the condition of ConfigMap kube-system/bootstrap.
func bootstrapComplete(obj *unstructured.Unstructured) (bool, string) {
	if obj == nil {
		return false, "ConfigMap kube-system/bootstrap not created yet"
	}
	status, found, _ := unstructured.NestedString(obj.Object, "data", "status")
	if !found {
		return false, "ConfigMap kube-system/bootstrap has no status yet"
	}
	return status == "complete", fmt.Sprintf("bootstrap status %q", status)
}

// conditionIs is the condition "status.conditions[type] has status".
func conditionIs(typ, status string) func(*unstructured.Unstructured) (bool, string) {
	return func(obj *unstructured.Unstructured) (bool, string) {
		if obj == nil {
			return false, ""
		}
		c, ok := findCondition(obj, typ)
		if !ok {
			return false, fmt.Sprintf("%s %s reports no %s condition yet", obj.GetKind(), obj.GetName(), typ)
		}
		return c.Status == status, c.String()
	}
}

// BootstrapCompleted reads ConfigMap kube-system/bootstrap once.
func BootstrapCompleted(ctx context.Context, c *Clients) (bool, error) {
	cm, err := c.Dynamic.Resource(configMapsGVR).Namespace("kube-system").Get(ctx, "bootstrap", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("failed to read ConfigMap kube-system/bootstrap: %w", err)
	}
	done, _ := bootstrapComplete(cm)
	return done, nil
}
