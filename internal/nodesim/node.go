package nodesim

import (
	"context"
	"fmt"
	"net"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Machine is one simulated node.
type Machine struct {
	// Name is the Kubernetes node name (the FQDN okdctl's ignition sets as hostname).
	Name string
	IP   string
}

// Simulator joins machines to a cluster as kubelets do.
type Simulator struct {
	// Bootstrap is the node bootstrapper's identity (from the bootstrap kubeconfig).
	Bootstrap kubernetes.Interface
	// NodeConfig turns an issued client certificate into the kubelet's client config.
	NodeConfig func(certPEM, keyPEM []byte) *rest.Config
}

// Joined is what a join took.
type Joined struct {
	ClientCSR, ServingCSR string
	// ClientWait and ServingWait run from CSR creation to approval seen.
	ClientWait, ServingWait time.Duration
	Node                    kubernetes.Interface
}

// Join makes the client CSR, waits for its certificate, registers the Node,
// makes the serving CSR, waits for its certificate and marks the Node Ready.
func (s *Simulator) Join(ctx context.Context, m Machine) (*Joined, error) {
	j := &Joined{}
	crt, key, err := s.clientCert(ctx, m, j)
	if err != nil {
		return j, err
	}
	j.Node, err = kubernetes.NewForConfig(s.NodeConfig(crt, key))
	if err != nil {
		return j, err
	}
	if err := register(ctx, j.Node, m); err != nil {
		return j, err
	}
	start := time.Now()
	csr, _, err := Create(ctx, j.Node, CSR{Signer: certv1.KubeletServingSignerName,
		CN: "system:node:" + m.Name, O: []string{"system:nodes"},
		DNS: []string{m.Name}, IPs: []net.IP{net.ParseIP(m.IP)}, Usages: ServingUsages})
	if err != nil {
		return j, err
	}
	j.ServingCSR = csr.Name
	_, approved, err := WaitIssued(ctx, j.Node, csr.Name)
	j.ServingWait = approved.Sub(start)
	if err != nil {
		return j, fmt.Errorf("node %s: serving certificate: %w", m.Name, err)
	}
	return j, setReady(ctx, j.Node, m)
}

func (s *Simulator) clientCert(ctx context.Context, m Machine, j *Joined) (crt, key []byte, err error) {
	start := time.Now()
	csr, key, err := Create(ctx, s.Bootstrap, CSR{Signer: certv1.KubeAPIServerClientKubeletSignerName,
		CN: "system:node:" + m.Name, O: []string{"system:nodes"}, Usages: ClientUsages})
	if err != nil {
		return nil, nil, err
	}
	j.ClientCSR = csr.Name
	crt, approved, err := WaitIssued(ctx, s.Bootstrap, csr.Name)
	j.ClientWait = approved.Sub(start)
	if err != nil {
		return nil, nil, fmt.Errorf("node %s: client certificate: %w", m.Name, err)
	}
	return crt, key, nil
}

// register creates the Node as the kubelet does, with its own credentials.
func register(ctx context.Context, c kubernetes.Interface, m Machine) error {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: m.Name,
		Labels: map[string]string{"kubernetes.io/hostname": m.Name, "kubernetes.io/os": "linux"}}}
	if _, err := c.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("node %s: failed to register: %w", m.Name, err)
	}
	return nil
}

// setReady reports the node's addresses and a Ready condition.
func setReady(ctx context.Context, c kubernetes.Interface, m Machine) error {
	n, err := c.CoreV1().Nodes().Get(ctx, m.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	now := metav1.Now()
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: m.IP}, {Type: corev1.NodeHostName, Address: m.Name}}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue,
		Reason: "KubeletReady", Message: "simulated kubelet is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now}}
	if _, err := c.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("node %s: failed to report Ready: %w", m.Name, err)
	}
	return nil
}
