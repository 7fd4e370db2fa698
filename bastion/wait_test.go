package bastion

import (
	"context"
	"testing"
	"time"
)

// TestPollRetriesSoonFirst: a check that passes on its third call does not
// wait two whole intervals (10 s each here); the waits grow from
// firstRetry towards the interval.
func TestPollRetriesSoonFirst(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var calls []time.Time
	err := Poll(ctx, WaitOptions{What: "a service", Timeout: time.Minute, Interval: 10 * time.Second}, func(context.Context) (bool, error) {
		calls = append(calls, time.Now())
		return len(calls) == 3, nil
	})
	if err != nil || len(calls) != 3 {
		t.Fatalf("Poll: %v after %d calls", err, len(calls))
	}
	if first, second := calls[1].Sub(calls[0]), calls[2].Sub(calls[1]); first < firstRetry || second < 2*firstRetry {
		t.Errorf("waits %s, %s: want at least %s, then twice that", first, second, firstRetry)
	}
}
