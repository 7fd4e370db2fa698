package cluster

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// The secrets holding the pointer ignition a new worker boots with:
// "-managed" is kept current by the machine config operator (4.13+), the
// other is openshift-install's original.
const (
	MachineAPINamespace = "openshift-machine-api"
	WorkerUserData      = "worker-user-data"
	WorkerUserDataMgd   = "worker-user-data-managed"
)

// ErrNoUserData means the cluster keeps no worker ignition.
var ErrNoUserData = errors.New("the cluster keeps no worker ignition")

// WorkerIgnition reads the worker pointer ignition from the running
// cluster (key userData), the managed secret first. It returns the data and
// the secret it came from.
func WorkerIgnition(ctx context.Context, kube kubernetes.Interface) ([]byte, string, error) {
	for _, name := range []string{WorkerUserDataMgd, WorkerUserData} {
		s, err := kube.CoreV1().Secrets(MachineAPINamespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("failed to read the secret %s/%s: %w", MachineAPINamespace, name, err)
		}
		if data := s.Data["userData"]; len(data) > 0 {
			return data, MachineAPINamespace + "/" + name, nil
		}
	}
	return nil, "", fmt.Errorf("%w: neither %s/%s nor %s has a userData key", ErrNoUserData, MachineAPINamespace, WorkerUserDataMgd, WorkerUserData)
}

// UntilNodesReady approves CSRs as they come until the named nodes are
// Ready (okdctl add-node); the other inventory nodes need not be.
func (a *Approver) UntilNodesReady(ctx context.Context, o WatchOptions, names ...string) error {
	return a.watch(ctx, o, func(_, missing []string) bool {
		for _, m := range missing {
			for _, n := range names {
				if m == n {
					return false
				}
			}
		}
		return true
	})
}
