package dnsrecords

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/testenv"
)

func TestEtcdStaysDown(t *testing.T) {
	t.Parallel()
	port := testenv.FreePort(t, "127.0.0.1") // nothing listens here
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	client, err := NewClient([]string{endpoint})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	s := NewSyncer(testInput(2), client, []string{endpoint})
	s.Retry = Retry{Timeout: 1500 * time.Millisecond, Attempt: 500 * time.Millisecond}
	start := time.Now()
	_, err = s.Sync(context.Background(), mustDesired(t, testInput(2)))
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), endpoint) || !strings.Contains(err.Error(), "did not answer for 1.5s") {
		t.Fatalf("want a clear unavailable error naming %s, got %v", endpoint, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("gave up after %s, want about 1.5s", d)
	}
}

func TestEtcdBrieflyDown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	client, peer := testenv.FreePort(t, "127.0.0.1"), testenv.FreePort(t, "127.0.0.1")
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", client)
	first := startEtcdAt(t, dir, client, peer)
	// an etcd killed before it has committed its own membership cannot
	// restart from its data (it waits for voters forever): let it settle
	waitEtcdReady(t, endpoint)
	stopProcess(t, first, client)
	c, err := NewClient([]string{endpoint})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	in := testInput(3)
	done := make(chan error, 1)
	go func() {
		_, err := NewSyncer(in, c, []string{endpoint}).Sync(context.Background(), mustDesired(t, in))
		done <- err
	}()
	time.Sleep(time.Second) // the sync retries while etcd is down
	startEtcdAt(t, dir, client, peer)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sync did not survive a short etcd outage: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("sync did not finish after etcd came back")
	}
}

// etcd's default limit is 128 operations per transaction: a larger change
// falls back to several transactions, and a re-run still writes nothing.
func TestTooManyOpsFallsBack(t *testing.T) {
	t.Parallel()
	in := testInput(150)
	e := startEnv(t, in, "")
	res := e.sync(t, in)
	if res.Txns < 2 {
		t.Fatalf("%d transactions for %d changes: want the fallback to split", res.Txns, len(res.Plan.Changes))
	}
	if again := e.sync(t, in); again.Txns != 0 {
		t.Fatalf("re-sync wrote %d transactions", again.Txns)
	}
	e.verify(t, in)
}

func TestLargeChangeIsOneTransaction(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	client, peer := testenv.FreePort(t, "127.0.0.1"), testenv.FreePort(t, "127.0.0.1")
	startEtcdAt(t, dir, client, peer, "--max-txn-ops", "16384")
	in := testInput(150)
	e := startEnv(t, in, fmt.Sprintf("http://127.0.0.1:%d", client))
	if res := e.sync(t, in); res.Txns != 1 {
		t.Fatalf("%d transactions, want 1", res.Txns)
	}
}

// stopProcess kills a test's process group and waits until its port refuses
// connections (testenv.Process.Stop races with the process's reaper).
func stopProcess(t *testing.T, p *testenv.Process, port int) {
	t.Helper()
	_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 100*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
	}
	t.Fatalf("port %d still answers after killing its process", port)
}

// waitEtcdReady waits until etcd answers a linearizable read.
func waitEtcdReady(t *testing.T, endpoint string) {
	t.Helper()
	c, err := NewClient([]string{endpoint})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := c.Get(ctx, "ready")
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("etcd at %s not ready: %v", endpoint, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
