package dnsrecords

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Retry bounds how long an etcd request is retried while etcd is unavailable.
type Retry struct {
	// Timeout is the whole budget (default 30 s).
	Timeout time.Duration
	// Attempt bounds one try (default 3 s).
	Attempt time.Duration
	// Backoff is the first pause; it doubles up to 2 s (default 100 ms).
	Backoff time.Duration
}

func (r Retry) withDefaults() Retry {
	if r.Timeout <= 0 {
		r.Timeout = 30 * time.Second
	}
	if r.Attempt <= 0 {
		r.Attempt = 3 * time.Second
	}
	if r.Backoff <= 0 {
		r.Backoff = 100 * time.Millisecond
	}
	return r
}

// ErrUnavailable marks an etcd that did not answer within the retry budget.
var ErrUnavailable = errors.New("etcd unavailable")

// do runs fn until it succeeds, fails for good, or the budget is spent.
func (r Retry) do(ctx context.Context, what string, endpoints []string, fn func(context.Context) error) error {
	r = r.withDefaults()
	deadline := time.Now().Add(r.Timeout)
	pause := r.Backoff
	for {
		actx, cancel := context.WithTimeout(ctx, min(r.Attempt, max(time.Until(deadline), time.Millisecond)))
		err := fn(actx)
		cancel()
		if err == nil || !retryable(err) {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("failed to %s: %w", what, ctx.Err())
		}
		if time.Now().Add(pause).After(deadline) {
			return fmt.Errorf("failed to %s: etcd at %s did not answer for %s (last error: %v): %w",
				what, strings.Join(endpoints, ","), r.Timeout, err, ErrUnavailable)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("failed to %s: %w", what, ctx.Err())
		case <-time.After(pause):
		}
		pause = min(2*pause, 2*time.Second)
	}
}

// retryable reports whether err may go away when etcd comes (back) up.
func retryable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, rpctypes.ErrNoLeader) ||
		errors.Is(err, rpctypes.ErrTimeout) || errors.Is(err, rpctypes.ErrLeaderChanged) {
		return true
	}
	if s, ok := status.FromError(err); ok {
		switch s.Code() {
		case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
			return true
		}
	}
	return false
}
