package day2

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/okdctl/okdctl/ignition"
	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/installer/cluster"
	"github.com/okdctl/okdctl/spec"
)

// AddNodeOptions configure AddNode.
type AddNodeOptions struct {
	// LoadBalancer is the loadbalancer phase to re-run (tests shorten its health timing).
	LoadBalancer *installer.LoadBalancerPhase
	// Every is how often the wait reports progress (default 30 s).
	Every time.Duration
}

// AddNode adds a worker that the spec gained to the running cluster, by
// re-running the phases the spec's node list feeds: dns (its A and PTR
// records), loadbalancer (its ingress backend), its ignition from the
// running cluster's worker ignition (published with its hash), http (every
// published file verified) and boot (its boot line, printed); then the
// verifying CSR approver runs until the node is Ready. In a dry run
// (r.Host.DryRun) the phases are planned and the summary returned: nothing
// changes and nothing is awaited.
func AddNode(ctx context.Context, r *installer.Runner, name string, o AddNodeOptions) (*installer.Summary, error) {
	node, err := newWorker(r.Cluster, name)
	if err != nil {
		return nil, err
	}
	rc, err := installer.NewRunContext(r.Cluster, r.Host, r.Log, installer.RunContextOptions{Phase: "add-node", Kubeconfig: r.Kubeconfig, Now: r.Now})
	if err != nil {
		return nil, err
	}
	if err := clusterRuns(ctx, rc); err != nil {
		return nil, err
	}
	role, src, err := workerIgnition(ctx, rc)
	if err != nil {
		return nil, err
	}
	lb := o.LoadBalancer
	if lb == nil {
		lb = &installer.LoadBalancerPhase{}
	}
	phases := []installer.Phase{&installer.DNSPhase{}, lb, &nodeIgnitionPhase{node: node, role: role, source: src},
		&installer.HTTPPhase{}, &installer.BootPhase{}}
	bastionRun := *r
	bastionRun.Phases = phases
	sum, err := bastionRun.Apply(ctx, installer.ApplyOptions{})
	if err != nil || r.Host.DryRun {
		return sum, err
	}
	if err := printBootLine(rc, name); err != nil {
		return sum, err
	}
	warnIngress(ctx, rc)
	return sum, waitReady(ctx, rc, r.Cluster.FQDN(node), o.Every)
}

// newWorker finds the node in the spec; only workers can be added.
func newWorker(c *spec.Cluster, name string) (spec.Node, error) {
	var names []string
	for _, n := range c.Spec.Nodes {
		if n.Name != name {
			names = append(names, n.Name)
			continue
		}
		if n.Role != spec.RoleWorker {
			return n, fmt.Errorf("node %s is a %s: add-node adds workers only (a master joins etcd's quorum: follow OpenShift's procedure for replacing a control plane node)", name, n.Role)
		}
		return n, nil
	}
	return spec.Node{}, fmt.Errorf("node %q is not in %s: add it to spec.nodes (role worker, ip, nic, disk) first; the spec's nodes are %s",
		name, c.File, strings.Join(names, ", "))
}

// clusterRuns checks that the cluster is installed and answers: add-node
// is day 2 (okdctl apply adds the nodes of a cluster still installing).
func clusterRuns(ctx context.Context, rc *installer.RunContext) error {
	clients, err := installer.ClusterClients(rc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	nodes, err := clients.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("failed to reach the cluster: %w (add-node needs the running cluster's API; pass --kubeconfig)", err)
	}
	for _, n := range nodes.Items {
		if nodeReady(n) {
			return nil
		}
	}
	return fmt.Errorf("no node of the cluster is Ready: it is not installed yet; okdctl apply adds every spec node while installing")
}

func nodeReady(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// printBootLine prints the node's boot line and coreos-installer command.
func printBootLine(rc *installer.RunContext, name string) error {
	out, err := installer.BootOutput(rc.Cluster(), installer.BootOptions{Node: name, Format: ignition.FormatText, StateDir: rc.StateDir()})
	if err != nil {
		return err
	}
	rc.Log().Infof("boot %s with this line at the live media's prompt (or its coreos-installer command):", name)
	rc.Log().Raw(string(out))
	return nil
}

// waitReady runs the verifying approver until the new node is Ready.
func waitReady(ctx context.Context, rc *installer.RunContext, fqdn string, every time.Duration) error {
	a, err := installer.NewApprover(rc)
	if err != nil {
		return err
	}
	timeout := rc.Spec().Timeouts.Nodes.Duration
	rc.Log().Infof("approving the CSRs of %s (verified against the spec) until it is Ready (up to %s)", fqdn, timeout)
	return a.UntilNodesReady(ctx, cluster.WatchOptions{Timeout: timeout, Every: every}, fqdn)
}
