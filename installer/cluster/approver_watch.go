package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// WatchOptions bounds a watching approver.
type WatchOptions struct {
	// Timeout ends UntilReady with an error (0: until ctx ends).
	Timeout time.Duration
	// Every is how often progress is reported and pending CSRs are
	// re-examined even without events (default 30 s).
	Every time.Duration
}

// Run approves CSRs as they come until ctx ends (approve-csrs --watch,
// the okdctl-approver unit); it returns nil when ctx is cancelled.
func (a *Approver) Run(ctx context.Context, o WatchOptions) error {
	err := a.watch(ctx, o, nil)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// UntilReady approves CSRs as they come until every inventory node is Ready.
func (a *Approver) UntilReady(ctx context.Context, o WatchOptions) error {
	return a.watch(ctx, o, func(ready, missing []string) bool { return len(missing) == 0 })
}

// watch runs passes on every CSR or Node event (list-watch through
// informers) and on a ticker, until stop says so, the timeout or ctx ends.
func (a *Approver) watch(ctx context.Context, o WatchOptions, stop func(ready, missing []string) bool) error {
	if o.Every <= 0 {
		o.Every = 30 * time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.Timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	w := a.startInformers(ctx)
	start := time.Now()
	tick := time.NewTicker(o.Every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return a.watchEnded(ctx, o, w)
		case <-tick.C:
			a.progress(w, start, o, stop != nil)
		case <-w.trigger:
		}
		if !w.synced() {
			continue
		}
		if err := a.pass(ctx, w.csrs(), w.nodes()); err != nil && ctx.Err() == nil {
			w.noteErr(a.log, err)
			continue
		}
		if stop != nil {
			if ready, missing := readyNodes(a.o.Inventory, w.nodes()); stop(ready, missing) {
				a.log.Infof("all %d nodes are Ready (%d CSRs approved)", len(ready), a.Approved())
				return nil
			}
		}
	}
}

func (a *Approver) progress(w *watched, start time.Time, o WatchOptions, untilReady bool) {
	ready, missing := readyNodes(a.o.Inventory, w.nodes())
	line := fmt.Sprintf("%d/%d nodes Ready, %d CSRs approved", len(ready), a.o.Inventory.Len(), a.Approved())
	if len(missing) > 0 {
		line += " (not Ready: " + strings.Join(missing, ", ") + ")"
	}
	if !untilReady {
		// A long-running approver reports only changes.
		if line == w.lastProgress {
			return
		}
		w.lastProgress = line
	} else if o.Timeout > 0 {
		line = fmt.Sprintf("waiting for the nodes to be Ready: %s; %s elapsed of %s", line, time.Since(start).Round(time.Second), o.Timeout)
	}
	a.log.Progressf("%s", line)
}

func (a *Approver) watchEnded(ctx context.Context, o WatchOptions, w *watched) error {
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) || o.Timeout == 0 {
		return ctx.Err()
	}
	_, missing := readyNodes(a.o.Inventory, w.nodes())
	msg := fmt.Sprintf("timed out after %s waiting for nodes to be Ready: %s not Ready (check their CSRs with `oc get csr` and the reasons okdctl logged for skipping them)",
		o.Timeout, strings.Join(missing, ", "))
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lastErr != nil {
		return fmt.Errorf("%s: last error: %w", msg, w.lastErr)
	}
	return errors.New(msg)
}

// watched holds the informers of one watch.
type watched struct {
	csrInf, nodeInf cache.SharedIndexInformer
	trigger         chan struct{}
	mu              sync.Mutex
	lastErr         error
	lastProgress    string
}

func (a *Approver) startInformers(ctx context.Context) *watched {
	f := informers.NewSharedInformerFactory(a.o.Client, 0)
	w := &watched{csrInf: f.Certificates().V1().CertificateSigningRequests().Informer(),
		nodeInf: f.Core().V1().Nodes().Informer(), trigger: make(chan struct{}, 1)}
	poke := func() {
		select {
		case w.trigger <- struct{}{}:
		default:
		}
	}
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { poke() },
		UpdateFunc: func(any, any) { poke() },
		DeleteFunc: func(any) { poke() },
	}
	for _, inf := range []cache.SharedIndexInformer{w.csrInf, w.nodeInf} {
		_, _ = inf.AddEventHandler(h)
		_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
			w.noteErr(a.log, err)
		})
	}
	f.Start(ctx.Done())
	go func() { <-ctx.Done(); f.Shutdown() }()
	return w
}

func (w *watched) synced() bool { return w.csrInf.HasSynced() && w.nodeInf.HasSynced() }

// noteErr logs an error once until a different one comes.
func (w *watched) noteErr(log Logger, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lastErr == nil || w.lastErr.Error() != err.Error() {
		log.Warnf("CSR approver: %v (retrying)", err)
	}
	w.lastErr = err
}

func (w *watched) csrs() []*certv1.CertificateSigningRequest {
	var out []*certv1.CertificateSigningRequest
	for _, o := range w.csrInf.GetStore().List() {
		if c, ok := o.(*certv1.CertificateSigningRequest); ok {
			out = append(out, c)
		}
	}
	return out
}

func (w *watched) nodes() []*corev1.Node {
	var out []*corev1.Node
	for _, o := range w.nodeInf.GetStore().List() {
		if n, ok := o.(*corev1.Node); ok {
			out = append(out, n)
		}
	}
	return out
}
