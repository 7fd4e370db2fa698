package cluster

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/okdctl/okdctl/internal/nodesim"
	"github.com/okdctl/okdctl/internal/testenv"
	"k8s.io/client-go/kubernetes"
)

// testLog is a Logger that keeps its lines and shows them in the test log.
type testLog struct {
	t     testing.TB
	mu    sync.Mutex
	lines []string
}

func (l *testLog) add(level, format string, args ...any) {
	line := level + ": " + fmt.Sprintf(format, args...)
	l.mu.Lock()
	l.lines = append(l.lines, line)
	l.mu.Unlock()
	l.t.Log(line)
}

func (l *testLog) Infof(f string, a ...any)     { l.add("info", f, a...) }
func (l *testLog) Warnf(f string, a ...any)     { l.add("warning", f, a...) }
func (l *testLog) Progressf(f string, a ...any) { l.add("progress", f, a...) }

// find returns the lines containing s.
func (l *testLog) find(s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

// specNodes is a 3-master + 2-worker spec's inventory for cluster okd.example.
func specNodes(cluster string, n int) []Node {
	var out []Node
	for i := 0; i < n; i++ {
		name, role := fmt.Sprintf("m%d", i), "master"
		if i >= 3 {
			name, role = fmt.Sprintf("w%d", i-3), "worker"
		}
		out = append(out, Node{Name: name, FQDN: name + "." + cluster, IP: fmt.Sprintf("127.0.%d.%d", 1+i/200, 10+i%200), Role: role})
	}
	return out
}

func machines(nodes []Node) []nodesim.Machine {
	out := make([]nodesim.Machine, len(nodes))
	for i, n := range nodes {
		out[i] = nodesim.Machine{Name: n.FQDN, IP: n.IP}
	}
	return out
}

func newInventory(t testing.TB, nodes []Node) *Inventory {
	t.Helper()
	inv, err := NewInventory(nodes, []string{"172.30.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// simulator joins machines to k as kubelets, with k's CA signing approved CSRs.
func simulator(t testing.TB, k *testenv.Kube) *nodesim.Simulator {
	return &nodesim.Simulator{
		Bootstrap:  testenv.Clientset(t, k.BootstrapperConfig()),
		NodeConfig: k.CertPEMConfig,
	}
}

func nodeClient(t testing.TB, k *testenv.Kube) func(string) kubernetes.Interface {
	return func(name string) kubernetes.Interface {
		return testenv.Clientset(t, k.CertConfig(t, "system:node:"+name, "system:nodes"))
	}
}
