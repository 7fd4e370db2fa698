package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
)

// objectWait waits, by list-watch (not polling), until one named object
// satisfies a condition. Errors are retried every Interval and logged once
// until they change; progress says what is awaited, for how long and until
// when; a timeout reports the last state seen and the last error.
type objectWait struct {
	What     string
	Client   dynamic.ResourceInterface
	Name     string
	Timeout  time.Duration
	Interval time.Duration // retry after an error (default 2 s)
	Every    time.Duration // progress (default 30 s)
	Log      Logger
	// Cond reports whether the object is as wanted, and its state in a few
	// words for progress lines; obj is nil while the object does not exist.
	Cond func(obj *unstructured.Unstructured) (bool, string)

	state   string
	lastErr error
}

// errDone ends a watch loop successfully.
var errDone = errors.New("done")

func (w *objectWait) run(ctx context.Context) (*unstructured.Unstructured, error) {
	w.defaults()
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	w.Log.Progressf("waiting up to %s for %s (until %s)", w.Timeout, w.What, start.Add(w.Timeout).Format("15:04:05"))
	tick := time.NewTicker(w.Every)
	defer tick.Stop()
	for {
		obj, err := w.listWatch(ctx, tick, start)
		if errors.Is(err, errDone) {
			w.Log.Progressf("%s: done after %s", w.What, time.Since(start).Round(time.Second))
			return obj, nil
		}
		if ctx.Err() != nil {
			return nil, w.timeout(ctx)
		}
		if err != nil {
			w.noteErr(err)
			select {
			case <-ctx.Done():
			case <-tick.C:
				w.progress(start)
			case <-time.After(w.Interval):
			}
		}
	}
}

func (w *objectWait) defaults() {
	if w.Interval <= 0 {
		w.Interval = 2 * time.Second
	}
	if w.Every <= 0 {
		w.Every = 30 * time.Second
	}
	w.Log = orNop(w.Log)
	w.state = "no answer yet"
}

// listWatch lists the object, then watches it from that version until the
// watch ends; it returns errDone with the object once Cond holds.
func (w *objectWait) listWatch(ctx context.Context, tick *time.Ticker, start time.Time) (*unstructured.Unstructured, error) {
	sel := fields.OneTermEqualSelector("metadata.name", w.Name).String()
	list, err := w.Client.List(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		return nil, err
	}
	var obj *unstructured.Unstructured
	if len(list.Items) > 0 {
		obj = &list.Items[0]
	}
	if w.check(obj) {
		return obj, errDone
	}
	wi, err := w.Client.Watch(ctx, metav1.ListOptions{FieldSelector: sel, ResourceVersion: list.GetResourceVersion()})
	if err != nil {
		return nil, err
	}
	defer wi.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
			w.progress(start)
		case ev, ok := <-wi.ResultChan():
			if !ok {
				return nil, nil // the server ended the watch: list again
			}
			if obj, err := w.event(ev); err != nil || obj != nil {
				return obj, err
			}
		}
	}
}

// event handles one watch event; it returns the object when Cond holds.
func (w *objectWait) event(ev watch.Event) (*unstructured.Unstructured, error) {
	switch ev.Type {
	case watch.Error:
		err := apierrors.FromObject(ev.Object)
		if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
			return nil, nil
		}
		return nil, err
	case watch.Deleted:
		w.check(nil)
	case watch.Added, watch.Modified:
		if obj, ok := ev.Object.(*unstructured.Unstructured); ok && w.check(obj) {
			return obj, errDone
		}
	}
	return nil, nil
}

func (w *objectWait) progress(start time.Time) {
	w.Log.Progressf("still waiting for %s: %s elapsed of %s (until %s); %s", w.What,
		time.Since(start).Round(time.Second), w.Timeout, start.Add(w.Timeout).Format("15:04:05"), w.state)
}

func (w *objectWait) check(obj *unstructured.Unstructured) bool {
	ok, state := w.Cond(obj)
	if obj == nil && state == "" {
		state = "not found yet"
	}
	w.state = state
	return ok
}

// noteErr logs an error only when it differs from the previous one. An
// error that only says the wait's own deadline came (a request cut short,
// the client's rate limiter refusing to wait past it) does not replace
// the error that explains why the wait did not end earlier.
func (w *objectWait) noteErr(err error) {
	if w.lastErr != nil && deadlineOnly(err) {
		return
	}
	if w.lastErr == nil || w.lastErr.Error() != err.Error() {
		w.Log.Progressf("%s: %v (retrying every %s)", w.What, err, w.Interval)
	}
	w.lastErr = err
}

func (w *objectWait) timeout(ctx context.Context) error {
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("stopped waiting for %s: %w", w.What, ctx.Err())
	}
	msg := fmt.Sprintf("timed out after %s waiting for %s (last seen: %s)", w.Timeout, w.What, w.state)
	if w.lastErr != nil {
		return fmt.Errorf("%s: last error: %w", msg, w.lastErr)
	}
	return errors.New(msg)
}

func deadlineOnly(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		strings.Contains(err.Error(), "would exceed context deadline")
}
