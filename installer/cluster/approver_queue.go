package cluster

import (
	"context"
	"sync"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// The watching approver is a controller: informers feed a work queue of
// CSR names; workers decide one CSR at a time against the caches (with the
// rules of a pass) and approve concurrently, one node's CSRs one at a time.
const (
	byNode     = "node" // CSR index: the node a CSR is for
	retryFirst = 5 * time.Millisecond
	retryMax   = 30 * time.Second
	syncPoll   = 10 * time.Millisecond // client-go's WaitForCacheSync polls every 100 ms
)

// controller holds the informers, the queue and the workers of one watch.
type controller struct {
	a               *Approver
	csrInf, nodeInf cache.SharedIndexInformer
	queue           workqueue.TypedRateLimitingInterface[string]
	changed         chan struct{}          // one slot: check readiness again
	locks           map[string]*sync.Mutex // per inventory node: its CSRs one at a time
	workers         sync.WaitGroup
	mu              sync.Mutex
	lastErr         error
	lastProgress    string
}

// startController starts the informers now and the workers once both
// caches have synced; events before that wait in the queue.
func (a *Approver) startController(ctx context.Context, workers int) *controller {
	f := informers.NewSharedInformerFactory(a.o.Client, 0)
	c := &controller{a: a, csrInf: f.Certificates().V1().CertificateSigningRequests().Informer(),
		nodeInf: f.Core().V1().Nodes().Informer(), changed: make(chan struct{}, 1), locks: map[string]*sync.Mutex{},
		queue: workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedItemExponentialFailureRateLimiter[string](retryFirst, retryMax))}
	for _, name := range a.o.Inventory.Names() {
		c.locks[name] = &sync.Mutex{}
	}
	_ = c.csrInf.AddIndexers(cache.Indexers{byNode: func(o any) ([]string, error) {
		if n := c.a.requests.csrNode(o.(*certv1.CertificateSigningRequest)); n != "" {
			return []string{n}, nil
		}
		return nil, nil
	}})
	c.handleEvents()
	f.Start(ctx.Done())
	go func() { <-ctx.Done(); c.queue.ShutDown(); f.Shutdown() }()
	c.workers.Add(1)
	go func() {
		defer c.workers.Done()
		if wait.PollUntilContextCancel(ctx, syncPoll, true, func(context.Context) (bool, error) { return c.synced(), nil }) != nil {
			return
		}
		c.enqueueAll()
		c.workers.Add(workers)
		for i := 0; i < workers; i++ {
			go func() {
				defer c.workers.Done()
				for c.next(ctx) {
				}
			}()
		}
		c.poke()
	}()
	return c
}

// stop ends the queue and waits for the workers (cancel their ctx first).
func (c *controller) stop() {
	c.queue.ShutDown()
	c.workers.Wait()
}

func (c *controller) handleEvents() {
	csr := func(o any) {
		if d, ok := o.(cache.DeletedFinalStateUnknown); ok {
			o = d.Obj
		}
		if r, ok := o.(*certv1.CertificateSigningRequest); ok {
			c.csrChanged(r)
		}
	}
	_, _ = c.csrInf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: csr, UpdateFunc: func(_, o any) { csr(o) }, DeleteFunc: csr,
	})
	node := func(o any) {
		if d, ok := o.(cache.DeletedFinalStateUnknown); ok {
			o = d.Obj
		}
		if n, ok := o.(*corev1.Node); ok {
			c.enqueueNode(n.Name)
			c.enqueueAllIfFlooding()
		}
		c.poke()
	}
	_, _ = c.nodeInf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: node, UpdateFunc: func(any, any) { c.poke() }, DeleteFunc: node,
	})
	for _, inf := range []cache.SharedIndexInformer{c.csrInf, c.nodeInf} {
		_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
			c.noteErr(c.a.log, err)
		})
	}
}

// csrChanged queues the CSR and the pending CSRs of its node, whose verdicts
// may depend on it (only the newest client CSR, one client CSR per node),
// and every pending CSR while the flood guard holds.
func (c *controller) csrChanged(r *certv1.CertificateSigningRequest) {
	if isPending(r) {
		c.note("event", r.Name)
		c.queue.Add(r.Name)
	}
	c.enqueueNode(c.a.requests.csrNode(r))
	c.enqueueAllIfFlooding()
}

func (c *controller) enqueueNode(node string) {
	if node == "" {
		return
	}
	list, _ := c.csrInf.GetIndexer().ByIndex(byNode, node)
	c.enqueuePending(list)
}

func (c *controller) enqueueAll() { c.enqueuePending(c.csrInf.GetStore().List()) }

func (c *controller) enqueueAllIfFlooding() {
	if c.a.flooding.Load() {
		c.enqueueAll()
	}
}

func (c *controller) enqueuePending(list []any) {
	for _, o := range list {
		if r, ok := o.(*certv1.CertificateSigningRequest); ok && isPending(r) {
			c.queue.Add(r.Name)
		}
	}
}

func (c *controller) poke() {
	select {
	case c.changed <- struct{}{}:
	default: // a check is already due, and reads the state then
	}
}

// next handles one queued CSR; a failed approval is retried with backoff.
func (c *controller) next(ctx context.Context) bool {
	name, shutdown := c.queue.Get()
	if shutdown {
		return false
	}
	defer c.queue.Done(name)
	err := c.process(ctx, name)
	switch {
	case err == nil:
		c.queue.Forget(name)
	case ctx.Err() != nil:
	default:
		if !apierrors.IsConflict(err) { // a stale cache: the retry reads it again
			c.noteErr(c.a.log, err)
		}
		c.queue.AddRateLimited(name)
	}
	return true
}

// process decides one CSR and approves it if it passes. The CSRs of one
// inventory node are decided and approved one at a time, so that of two
// client CSRs for a node never both are approved.
func (c *controller) process(ctx context.Context, name string) error {
	c.note("picked", name)
	r := c.csr(name)
	if r == nil {
		return nil
	}
	node := c.a.requests.csrNode(r)
	if l := c.locks[node]; l != nil {
		l.Lock()
		defer l.Unlock()
	}
	r, d, ok := c.decide(name, node)
	if !ok {
		return nil
	}
	c.note("decided", name)
	return c.a.writeApproval(ctx, r, d)
}

// decide evaluates the CSR as a pass would: the flood guard over every
// pending CSR, then the rules with the CSRs of its node. It returns the
// version decided on. Only the flood guard and the skip log take a.mu: the
// rules read the caches and the parsed requests, so workers decide in
// parallel (the node lock keeps one node's decisions in turn).
func (c *controller) decide(name, node string) (*certv1.CertificateSigningRequest, Decision, bool) {
	a := c.a
	r := c.csr(name)
	if r == nil || !isPending(r) || a.approvedByUs(name) {
		return nil, Decision{}, false
	}
	group := []*certv1.CertificateSigningRequest{r}
	if node != "" {
		group = c.csrsOf(node)
	}
	if c.flooding(len(c.nodeInf.GetStore().ListKeys())) {
		return nil, Decision{}, false
	}
	// The rules ask only whether the CSR's own node exists.
	v := a.newView(group, c.node(node))
	pending := a.pending(group)
	for i, d := range decide(v, pending) {
		switch {
		case pending[i].Name != name:
		case d.Approve:
			return pending[i], d, true
		default:
			a.mu.Lock()
			a.noteSkip(pending[i], d)
			a.mu.Unlock()
		}
	}
	return nil, Decision{}, false
}

// flooding applies the flood guard to the cache's pending CSRs (those this
// approver has not approved). Workers count without a lock; a count that
// started before the last one applied is dropped, so the guard's state
// and its log lines follow the counts in order.
func (c *controller) flooding(nodes int) bool {
	a := c.a
	seq := a.floodCounts.Add(1)
	now, recent := a.o.Now(), 0
	csrs := c.csrs()
	a.countMu.Lock() // once, not per CSR: workers count while others record approvals
	for _, r := range csrs {
		if isPending(r) && inFloodWindow(r, now) && !a.approved[r.Name] {
			recent++
		}
	}
	a.countMu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	if seq < a.floodSeen {
		return a.flooding.Load()
	}
	a.floodSeen = seq
	return a.setFlooding(recent, nodes)
}

func (c *controller) note(stage, name string) {
	if c.a.stage != nil {
		c.a.stage(stage, name)
	}
}

func (c *controller) synced() bool { return c.csrInf.HasSynced() && c.nodeInf.HasSynced() }

// noteErr logs an error once until a different one comes.
func (c *controller) noteErr(log Logger, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lastErr == nil || c.lastErr.Error() != err.Error() {
		log.Warnf("CSR approver: %v (retrying)", err)
	}
	c.lastErr = err
}

func (c *controller) csr(name string) *certv1.CertificateSigningRequest {
	o, ok, _ := c.csrInf.GetIndexer().GetByKey(name)
	if !ok {
		return nil
	}
	r, _ := o.(*certv1.CertificateSigningRequest)
	return r
}

func (c *controller) csrsOf(node string) []*certv1.CertificateSigningRequest {
	list, _ := c.csrInf.GetIndexer().ByIndex(byNode, node)
	return csrList(list)
}

func (c *controller) csrs() []*certv1.CertificateSigningRequest {
	return csrList(c.csrInf.GetStore().List())
}

func csrList(list []any) []*certv1.CertificateSigningRequest {
	out := make([]*certv1.CertificateSigningRequest, 0, len(list))
	for _, o := range list {
		if r, ok := o.(*certv1.CertificateSigningRequest); ok {
			out = append(out, r)
		}
	}
	return out
}

// node is the Node named name, in a list of one (none when it does not exist).
func (c *controller) node(name string) []*corev1.Node {
	if name == "" {
		return nil
	}
	o, ok, _ := c.nodeInf.GetStore().GetByKey(name)
	if n, isNode := o.(*corev1.Node); ok && isNode {
		return []*corev1.Node{n}
	}
	return nil
}

func (c *controller) nodes() []*corev1.Node {
	var out []*corev1.Node
	for _, o := range c.nodeInf.GetStore().List() {
		if n, ok := o.(*corev1.Node); ok {
			out = append(out, n)
		}
	}
	return out
}
