package day2

import (
	"context"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/spec"
)

// routerSelector selects the default IngressController's router pods.
const routerSelector = "ingresscontroller.operator.openshift.io/deployment-ingresscontroller=default"

// warnIngress warns when no router pod runs on a node HAProxy sends
// *.apps to: the load balancer sends ingress to the workers once there are
// any, while a cluster installed without workers runs its routers on the
// masters, and they do not move by themselves.
func warnIngress(ctx context.Context, rc *installer.RunContext) {
	backends := rc.Spec().NodesWithRole(spec.RoleWorker)
	if len(backends) == 0 {
		return
	}
	clients, err := installer.ClusterClients(rc)
	if err != nil {
		return
	}
	pods, err := clients.Kube.CoreV1().Pods("openshift-ingress").List(ctx, metav1.ListOptions{LabelSelector: routerSelector})
	if err != nil || len(pods.Items) == 0 {
		return
	}
	var fqdns, on []string
	for _, n := range backends {
		fqdns = append(fqdns, rc.Cluster().FQDN(n))
	}
	for _, p := range pods.Items {
		if slices.Contains(fqdns, p.Spec.NodeName) {
			return
		}
		on = append(on, p.Spec.NodeName)
	}
	rc.Log().Warnf("HAProxy sends *.apps to the workers (%s), but the default router runs on %s: ingress fails until a router runs on a worker. "+
		"Once the new node is Ready, move the routers off the masters: oc patch ingresscontroller/default -n openshift-ingress-operator --type=merge "+
		`-p '{"spec":{"nodePlacement":{"nodeSelector":{"matchExpressions":[{"key":"node-role.kubernetes.io/master","operator":"DoesNotExist"}]}}}}'`,
		strings.Join(fqdns, ", "), strings.Join(on, ", "))
}
