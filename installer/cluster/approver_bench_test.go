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
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// BenchmarkApprovalBurst100: 100 simulated nodes join at once; reports the
// time from each CSR's creation to its approval being seen by the node.
// The approver runs with okdctl's client limits (LoadKubeconfig) and, to
// tell whether they are the limit, with none and with more workers. Each
// iteration first measures the API server alone: 100 approval writes at
// once (write-*) and one at a time (write1-*), with no approver running.
// The approver's own share: *-react-* (a bystander sees the CSR created ->
// the approver starts its approval write), client-queue-* (the approver's
// event handler gets a client CSR -> the worker that approves it picks it:
// negative when the handler lags the cache), client-decide-* (picked ->
// decided), its writes' round trips
// (approver-write-*), the longest client-side throttling wait
// (throttle-max-ms), and the load average when the sub-benchmark ends.
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
	limits := fmt.Sprintf("okdctl-qps%g-burst%d", okdctl.QPS, okdctl.Burst)
	for _, c := range []burstSetup{{limits, okdctl, approveWorkers}, {"unthrottled", unthrottled, approveWorkers},
		{limits + "-workers100", okdctl, 100}} {
		rounds := 0 // testing runs b.N=1 first, then b.N=3 (-benchtime 3x): names must not repeat
		b.Run(c.name, func(b *testing.B) { benchBurst(b, ctx, k, c, &rounds) })
	}
}

// burstSetup is the approver's client configuration and worker count.
type burstSetup struct {
	name    string
	cfg     *rest.Config
	workers int
}

func benchBurst(b *testing.B, ctx context.Context, k *testenv.Kube, setup burstSetup, rounds *int) {
	sim := simulator(b, k)
	var client, serving, clientSeen, servingSeen, writes, writes1, react, servingReact, queue, decided, approverWrites []time.Duration
	var throttle time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		writes = append(writes, writeLatency(b, ctx, k, 100, true)...)
		writes1 = append(writes1, writeLatency(b, ctx, k, 20, false)...)
		obs, stop := observe(b, ctx, k)
		approver, trace := tracedClient(b, setup.cfg)
		b.StartTimer()
		// Each burst joins new nodes: were the names of an earlier round
		// reused, their Nodes would exist and be Ready already, the
		// approver would be done at once and rightly refuse every client
		// CSR ("a Node of that name exists"), and the joins would wait.
		*rounds++
		nodes := specNodes(fmt.Sprintf("burst%d.%s.example", *rounds, setup.name), 100)
		joined := burst(b, ctx, approver, func(a *Approver) { a.workers, a.stage = setup.workers, trace.stage }, sim, nodes)
		stop()
		for _, j := range joined {
			client, serving = append(client, j.ClientWait), append(serving, j.ServingWait)
			clientSeen, servingSeen = append(clientSeen, obs.took(j.ClientCSR)), append(servingSeen, obs.took(j.ServingCSR))
			react, servingReact = append(react, trace.reaction(obs, j.ClientCSR)), append(servingReact, trace.reaction(obs, j.ServingCSR))
			queue, decided = append(queue, trace.between("event", "picked", j.ClientCSR)), append(decided, trace.between("picked", "decided", j.ClientCSR))
		}
		approverWrites = append(approverWrites, trace.writes...)
		for _, w := range trace.throttle {
			throttle = max(throttle, w)
		}
	}
	b.StopTimer()
	for _, m := range []struct {
		unit string
		d    []time.Duration
	}{{"client", client}, {"serving", serving}, {"client-seen", clientSeen}, {"serving-seen", servingSeen},
		{"client-react", react}, {"serving-react", servingReact}, {"client-queue", queue}, {"client-decide", decided}, {"approver-write", approverWrites}, {"write", writes}, {"write1", writes1}} {
		b.ReportMetric(percentileMS(m.d, 50), m.unit+"-p50-ms")
		b.ReportMetric(percentileMS(m.d, 99), m.unit+"-p99-ms")
	}
	b.ReportMetric(float64(throttle.Microseconds())/1000, "throttle-max-ms")
	b.ReportMetric(load1(), "load1")
}

// burst runs an approver until the nodes are Ready while they join at
// once. Both are bounded by burstTimeout, and an approver that fails ends
// the joins at once, so a broken burst fails the benchmark instead of
// hanging it.
func burst(b *testing.B, ctx context.Context, client kubernetes.Interface, tune func(*Approver), sim *nodesim.Simulator, nodes []Node) []*nodesim.Joined {
	a, err := NewApprover(ApproverOptions{Client: client, Inventory: newInventory(b, nodes)})
	if err != nil {
		b.Fatal(err)
	}
	tune(a)
	ctx, cancel := context.WithTimeout(ctx, burstTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.UntilReady(ctx, WatchOptions{Timeout: burstTimeout}) }()
	joinedc := make(chan []*nodesim.Joined, 1)
	go func() { joinedc <- joinBurst(b, ctx, sim, machines(nodes)) }()
	var joined []*nodesim.Joined
	select {
	case joined = <-joinedc:
	case err := <-done:
		if err != nil { // nil: the nodes are Ready, their joins are returning
			cancel()
			<-joinedc
			b.Fatalf("the approver failed before the %d nodes joined (%d CSRs approved): %v", len(nodes), a.Approved(), err)
		}
		done <- nil
		joined = <-joinedc
	}
	if b.Failed() {
		b.Fatalf("the burst failed (bounded by %s; %d CSRs approved)", burstTimeout, a.Approved())
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	return joined
}

// burstTimeout bounds one burst: last session 100 nodes joined in about a second.
const burstTimeout = time.Minute

// joinBurst joins the machines at once; it may not call FailNow (it runs
// in its own goroutine).
func joinBurst(b *testing.B, ctx context.Context, sim *nodesim.Simulator, ms []nodesim.Machine) []*nodesim.Joined {
	joined := make([]*nodesim.Joined, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j, err := sim.Join(ctx, m)
			if err != nil {
				b.Errorf("join %s: %v", m.Name, err)
				return
			}
			joined[i] = j
		}()
	}
	wg.Wait()
	return joined
}

// observer watches CSRs as a bystander: how long from a CSR's creation
// event to its approval event (the approver's reaction and its write, with
// the API server's delivery delay on both ends cancelling out).
type observer struct {
	mu              sync.Mutex
	added, approved map[string]time.Time
}

func observe(b *testing.B, ctx context.Context, k *testenv.Kube) (*observer, context.CancelFunc) {
	o := &observer{added: map[string]time.Time{}, approved: map[string]time.Time{}}
	ctx, cancel := context.WithCancel(ctx)
	f := informers.NewSharedInformerFactory(testenv.Clientset(b, k.AdminConfig()), 0)
	note := func(obj any) {
		now := time.Now()
		c, ok := obj.(*certv1.CertificateSigningRequest)
		if !ok {
			return
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		if _, seen := o.added[c.Name]; !seen {
			o.added[c.Name] = now
		}
		if _, seen := o.approved[c.Name]; !seen && isApproved(c) {
			o.approved[c.Name] = now
		}
	}
	inf := f.Certificates().V1().CertificateSigningRequests().Informer()
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: note, UpdateFunc: func(_, c any) { note(c) }})
	f.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		b.Fatal("the CSR observer did not sync")
	}
	return o, cancel
}

func (o *observer) took(name string) time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.approved[name].Sub(o.added[name])
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
