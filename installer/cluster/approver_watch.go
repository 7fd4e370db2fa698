package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
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

// watch approves CSRs as their events come (list-watch through informers,
// a work queue of CSR names) and re-examines every pending CSR on a ticker,
// until stop says so, the timeout or ctx ends.
func (a *Approver) watch(ctx context.Context, o WatchOptions, stop func(ready, missing []string) bool) error {
	if o.Every <= 0 {
		o.Every = 30 * time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	if o.Timeout > 0 {
		var cancelTimeout context.CancelFunc
		ctx, cancelTimeout = context.WithTimeout(ctx, o.Timeout)
		defer cancelTimeout()
	}
	c := a.startController(ctx, cmp.Or(a.workers, approveWorkers))
	defer func() { cancel(); c.stop() }()
	start := time.Now()
	tick := time.NewTicker(o.Every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return a.watchEnded(ctx, o, c)
		case <-tick.C:
			a.progress(c, start, o, stop != nil)
			c.enqueueAll()
		case <-c.changed:
		}
		if stop == nil || !c.synced() {
			continue
		}
		if ready, missing := readyNodes(a.o.Inventory, c.nodes()); stop(ready, missing) {
			a.log.Infof("all %d nodes are Ready (%d CSRs approved)", len(ready), a.Approved())
			return nil
		}
	}
}

func (a *Approver) progress(w *controller, start time.Time, o WatchOptions, untilReady bool) {
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

func (a *Approver) watchEnded(ctx context.Context, o WatchOptions, w *controller) error {
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
