package bastion

import (
	"context"
	"fmt"
	"net"
	"time"
)

// WaitOptions describes one long wait.
type WaitOptions struct {
	// What is awaited, in the user's words ("the Kubernetes API").
	What     string
	Timeout  time.Duration
	Interval time.Duration
	// Every is how often progress is reported (default 30 s).
	Every time.Duration
	// Log receives progress lines; nil is silent.
	Log func(format string, args ...any)
}

// firstRetry is Poll's first wait: a service just started is usually
// ready within a fraction of its wait's Interval.
const firstRetry = 100 * time.Millisecond

// Poll calls check at once, then again after firstRetry, each wait twice
// the last up to Interval, until it reports done, the deadline passes or
// ctx ends. Progress says what is awaited, the elapsed time and
// the deadline; a repeated identical error is reported only with progress.
func Poll(ctx context.Context, o WaitOptions, check func(ctx context.Context) (bool, error)) error {
	if o.Interval <= 0 {
		o.Interval = 2 * time.Second
	}
	if o.Every <= 0 {
		o.Every = 30 * time.Second
	}
	logf := o.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	start := time.Now()
	deadline := start.Add(o.Timeout)
	logf("waiting up to %s for %s (until %s)", o.Timeout, o.What, deadline.Format("15:04:05"))
	var lastErr error
	lastReport := start
	next := min(firstRetry, o.Interval)
	for {
		done, err := check(ctx)
		if done {
			logf("%s: ready after %s", o.What, time.Since(start).Round(time.Second))
			return nil
		}
		if err != nil && (lastErr == nil || err.Error() != lastErr.Error()) {
			logf("%s not ready yet: %v", o.What, err)
		}
		if err != nil {
			lastErr = err
		}
		if time.Since(lastReport) >= o.Every {
			lastReport = time.Now()
			logf("still waiting for %s: %s elapsed of %s", o.What, time.Since(start).Round(time.Second), o.Timeout)
		}
		wait := next
		next = min(2*next, o.Interval)
		if rem := time.Until(deadline); rem < wait {
			wait = rem
		}
		if wait <= 0 {
			return timeoutError(o, lastErr)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stopped waiting for %s: %w", o.What, ctx.Err())
		case <-time.After(wait):
		}
	}
}

func timeoutError(o WaitOptions, last error) error {
	if last != nil {
		return fmt.Errorf("timed out after %s waiting for %s: last error: %w", o.Timeout, o.What, last)
	}
	return fmt.Errorf("timed out after %s waiting for %s", o.Timeout, o.What)
}

// DialTCP checks that addr accepts a TCP connection.
func DialTCP(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: 2 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}
