package cluster

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/nodesim"
	"github.com/okdctl/okdctl/internal/testenv"
	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// BenchmarkApprovalBurst100: 100 simulated nodes join at once; reports the
// time from each CSR's creation to its approval being seen by the node.
// The approver runs with okdctl's client limits (LoadKubeconfig) and, to
// tell whether they are the limit, with none. Each iteration first
// measures the API server alone: 100 approval writes at once (write-*)
// and one at a time (write1-*), with no approver running.
func BenchmarkApprovalBurst100(b *testing.B) {
	k := testenv.StartKube(b, testenv.KubeOptions{NoCRDs: true})
	ctx := testenv.Context(b, 10*time.Minute)
	admin := testenv.Clientset(b, k.AdminConfig())
	nodesim.RunSigner(ctx, admin, k.CA)
	okdctl, err := LoadKubeconfig(k.Kubeconfig)
	if err != nil {
		b.Fatal(err)
	}
	unthrottled := rest.CopyConfig(okdctl)
	unthrottled.QPS = -1
	for _, c := range []struct {
		name string
		cfg  *rest.Config
	}{{fmt.Sprintf("okdctl-qps%g-burst%d", okdctl.QPS, okdctl.Burst), okdctl}, {"unthrottled", unthrottled}} {
		b.Run(c.name, func(b *testing.B) { benchBurst(b, ctx, k, testenv.Clientset(b, c.cfg), c.name) })
	}
}

func benchBurst(b *testing.B, ctx context.Context, k *testenv.Kube, approver kubernetes.Interface, name string) {
	sim := simulator(b, k)
	var client, serving, writes, writes1 []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		writes = append(writes, writeLatency(b, ctx, k, 100, true)...)
		writes1 = append(writes1, writeLatency(b, ctx, k, 20, false)...)
		b.StartTimer()
		nodes := specNodes(fmt.Sprintf("burst%d.%s.example", i, name), 100)
		a, _ := NewApprover(ApproverOptions{Client: approver, Inventory: newInventory(b, nodes)})
		done := make(chan error, 1)
		go func() { done <- a.UntilReady(ctx, WatchOptions{Timeout: 5 * time.Minute}) }()
		c, s := joinBurst(b, ctx, sim, machines(nodes))
		client, serving = append(client, c...), append(serving, s...)
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	for _, m := range []struct {
		unit string
		d    []time.Duration
	}{{"client", client}, {"serving", serving}, {"write", writes}, {"write1", writes1}} {
		b.ReportMetric(percentileMS(m.d, 50), m.unit+"-p50-ms")
		b.ReportMetric(percentileMS(m.d, 99), m.unit+"-p99-ms")
	}
}

// joinBurst joins the machines at once; it returns their client and serving waits.
func joinBurst(b *testing.B, ctx context.Context, sim *nodesim.Simulator, ms []nodesim.Machine) (client, serving []time.Duration) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j, err := sim.Join(ctx, m)
			if err != nil {
				b.Errorf("join %s: %v", m.Name, err)
				return
			}
			mu.Lock()
			client, serving = append(client, j.ClientWait), append(serving, j.ServingWait)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return client, serving
}

// writeLatency times approval writes alone: n CSRs for a signer nobody
// signs for are made, approved (all at once, or one at a time) by an
// unthrottled admin client, then deleted.
func writeLatency(b *testing.B, ctx context.Context, k *testenv.Kube, n int, atOnce bool) []time.Duration {
	cfg := k.AdminConfig()
	cfg.QPS = -1
	api := testenv.Clientset(b, cfg).CertificatesV1().CertificateSigningRequests()
	boot := testenv.Clientset(b, k.BootstrapperConfig())
	csrs := make([]*certv1.CertificateSigningRequest, n)
	for i := range csrs {
		c, _, err := nodesim.Create(ctx, boot, nodesim.CSR{Signer: "example.com/write-latency", CN: fmt.Sprintf("write%d", i), Usages: nodesim.ClientUsages})
		if err != nil {
			b.Fatal(err)
		}
		csrs[i] = c
	}
	out := make([]time.Duration, n)
	write := func(i int) {
		c := csrs[i].DeepCopy()
		c.Status.Conditions = append(c.Status.Conditions, certv1.CertificateSigningRequestCondition{
			Type: certv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "Benchmark", LastUpdateTime: metav1.Now()})
		start := time.Now()
		if _, err := api.UpdateApproval(ctx, c.Name, c, metav1.UpdateOptions{}); err != nil {
			b.Error(err)
		}
		out[i] = time.Since(start)
	}
	var wg sync.WaitGroup
	for i := range csrs {
		if !atOnce {
			write(i)
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); write(i) }()
	}
	wg.Wait()
	for _, c := range csrs {
		if err := api.Delete(ctx, c.Name, metav1.DeleteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

func percentileMS(d []time.Duration, p int) float64 {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	idx := (len(d)*p+99)/100 - 1
	return float64(d[max(idx, 0)].Microseconds()) / 1000
}
