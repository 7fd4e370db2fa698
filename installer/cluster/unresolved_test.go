package cluster

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/okdctl/okdctl/internal/testenv"
)

// TestAPINameUnresolved: an API name with no such host ends the API wait
// after DNSTimeout (not APITimeout) with a message about the bastion's
// resolver. The dialer plays a resolver that knows no such name, so no
// query leaves the machine.
func TestAPINameUnresolved(t *testing.T) {
	t.Parallel()
	var dials atomic.Int32
	cfg := &rest.Config{Host: "https://api.okd.example:6443", Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		host, _, _ := net.SplitHostPort(addr)
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
	}}
	o := fast(&testLog{t: t})
	o.Clients, o.APITimeout, o.DNSTimeout = clients(t, cfg), time.Minute, 600*time.Millisecond
	start := time.Now()
	err := WaitBootstrap(testenv.Context(t, time.Minute), o)
	wantErr(t, err, `^failed to reach the Kubernetes API: the bastion cannot resolve api\.okd\.example \(no such host for 1s\): its resolver does not ask okdctl's DNS; run .okdctl apply --force dns.`)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the wait took %s, want about the DNS timeout", took)
	}
	if dials.Load() < 2 {
		t.Errorf("%d attempts, want the wait to retry before giving up", dials.Load())
	}
}

func TestNoSuchHost(t *testing.T) {
	t.Parallel()
	if _, ok := noSuchHost(&net.DNSError{Err: "server misbehaving", Name: "x", IsTemporary: true}); ok {
		t.Error("a temporary DNS failure taken for no such host")
	}
	if name, ok := noSuchHost(&net.OpError{Err: &net.DNSError{Name: "api.x", IsNotFound: true}}); !ok || name != "api.x" {
		t.Errorf("no such host not seen through a wrapped error: %q %v", name, ok)
	}
}
