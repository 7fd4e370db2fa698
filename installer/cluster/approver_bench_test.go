package cluster

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/nodesim"
	"github.com/okdctl/okdctl/internal/testenv"
)

// BenchmarkApprovalBurst100: 100 simulated nodes join at once; reports the
// time from each CSR's creation to its approval being seen by the node.
func BenchmarkApprovalBurst100(b *testing.B) {
	k := testenv.StartKube(b, testenv.KubeOptions{NoCRDs: true})
	ctx := testenv.Context(b, 10*time.Minute)
	admin := testenv.Clientset(b, k.AdminConfig())
	nodesim.RunSigner(ctx, admin, k.CA)
	sim := simulator(b, k)
	var client, serving []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		nodes := specNodes(fmt.Sprintf("burst%d.example", i), 100)
		a, _ := NewApprover(ApproverOptions{Client: admin, Inventory: newInventory(b, nodes)})
		done := make(chan error, 1)
		go func() { done <- a.UntilReady(ctx, WatchOptions{Timeout: 5 * time.Minute}) }()
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, m := range machines(nodes) {
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
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(percentileMS(client, 50), "client-p50-ms")
	b.ReportMetric(percentileMS(client, 99), "client-p99-ms")
	b.ReportMetric(percentileMS(serving, 50), "serving-p50-ms")
	b.ReportMetric(percentileMS(serving, 99), "serving-p99-ms")
}

func percentileMS(d []time.Duration, p int) float64 {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	idx := (len(d)*p+99)/100 - 1
	return float64(d[max(idx, 0)].Microseconds()) / 1000
}
