package cluster

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/testenv"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

// approverTrace splits a burst's approval time for the benchmark: when the
// approver started each approval write and how long the API server took to
// answer it (at the approver's transport, after client-side throttling),
// and how long the client's rate limiter made requests wait.
type approverTrace struct {
	next     http.RoundTripper
	limiter  flowcontrol.RateLimiter
	mu       sync.Mutex
	start    map[string]time.Time            // CSR name -> its approval write's start
	stages   map[string]map[string]time.Time // stage -> CSR name -> first reached
	writes   []time.Duration
	throttle []time.Duration
}

// tracedClient is a client for the approver with cfg's limits (a fresh
// rate limiter, as a new okdctl process has) that records into a new trace.
func tracedClient(b testing.TB, cfg *rest.Config) (kubernetes.Interface, *approverTrace) {
	t := &approverTrace{start: map[string]time.Time{}, stages: map[string]map[string]time.Time{}}
	c := rest.CopyConfig(cfg)
	if c.QPS > 0 {
		t.limiter = flowcontrol.NewTokenBucketRateLimiter(c.QPS, c.Burst)
		c.RateLimiter = t
	}
	c.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { t.next = rt; return t }
	return testenv.Clientset(b, c), t
}

func (t *approverTrace) RoundTrip(req *http.Request) (*http.Response, error) {
	name, ok := strings.CutSuffix(req.URL.Path, "/approval")
	if req.Method != http.MethodPut || !ok {
		return t.next.RoundTrip(req)
	}
	name = name[strings.LastIndex(name, "/")+1:]
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, seen := t.start[name]; !seen {
		t.start[name] = start
	}
	t.writes = append(t.writes, time.Since(start))
	return resp, err
}

// The rate limiter's side: Wait is what client-go's requests call.
func (t *approverTrace) TryAccept() bool { return t.limiter.TryAccept() }
func (t *approverTrace) Stop()           { t.limiter.Stop() }
func (t *approverTrace) QPS() float32    { return t.limiter.QPS() }
func (t *approverTrace) Accept()         { _ = t.Wait(context.Background()) }

func (t *approverTrace) Wait(ctx context.Context) error {
	start := time.Now()
	err := t.limiter.Wait(ctx)
	t.mu.Lock()
	t.throttle = append(t.throttle, time.Since(start))
	t.mu.Unlock()
	return err
}

// stage is the approver's stage hook: it keeps when each CSR first reached
// each stage (of picks, the one that decided it).
func (t *approverTrace) stage(stage, name string) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stages[stage] == nil {
		t.stages[stage] = map[string]time.Time{}
	}
	_, decided := t.stages["decided"][name]
	if _, seen := t.stages[stage][name]; !seen || (stage == "picked" && !decided) {
		t.stages[stage][name] = now // a pick counts until the CSR is decided: its last one
	}
}

// between is how long the CSR took from stage from to stage to (0 if it missed one).
func (t *approverTrace) between(from, to, name string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	a, okA := t.stages[from][name]
	b, okB := t.stages[to][name]
	if !okA || !okB {
		return 0
	}
	return b.Sub(a)
}

// reaction is how long after the bystander saw the CSR created the
// approver started writing its approval (the approver's watch delivery,
// queue, decision and throttling).
func (t *approverTrace) reaction(o *observer, name string) time.Duration {
	t.mu.Lock()
	start, ok := t.start[name]
	t.mu.Unlock()
	o.mu.Lock()
	defer o.mu.Unlock()
	if !ok {
		return 0
	}
	return start.Sub(o.added[name])
}

// load1 is the machine's one-minute load average (0 when unknown).
func load1() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

var (
	_ http.RoundTripper       = (*approverTrace)(nil)
	_ flowcontrol.RateLimiter = (*approverTrace)(nil)
)
