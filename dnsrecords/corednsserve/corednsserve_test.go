package corednsserve_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/coredns/caddy/caddyfile"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/miekg/dns"

	"github.com/okdctl/okdctl/dnsrecords"
	"github.com/okdctl/okdctl/dnsrecords/corednsserve"
	"github.com/okdctl/okdctl/internal/testenv"
)

// TestDirectivesServeOkdctlsCorefile parses the Corefile okdctl renders
// (every optional block on) with only the enabled directives, and checks
// they keep CoreDNS's own execution order (plugin.cfg, which is what
// dnsserver.Directives holds until a host replaces it).
func TestDirectivesServeOkdctlsCorefile(t *testing.T) {
	in := dnsrecords.Input{ClusterName: "c", BaseDomain: "okd.test", BastionIP: "127.0.1.1", IngressIP: "127.0.1.9",
		Networks: []string{"127.0.0.0/16"}, Nodes: []dnsrecords.Node{{Name: "m0", Role: "master", IP: "127.0.1.2"}}}
	srv := dnsrecords.Server{Listen: []string{"127.0.0.1"}, Port: 5353, Endpoints: []string{"http://127.0.0.1:2379"},
		Upstreams: []string{"127.0.0.53"}, CacheTTL: 5}
	data, err := dnsrecords.RenderCorefile(in, srv)
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := caddyfile.Parse("Corefile", bytes.NewReader(data), corednsserve.Directives)
	if err != nil {
		t.Fatalf("okdctl's Corefile uses a directive okdctl does not enable: %v\n%s", err, data)
	}
	used := map[string]bool{}
	for _, b := range blocks {
		for d := range b.Tokens {
			used[d] = true
		}
	}
	for _, d := range corednsserve.Directives {
		if !used[d] {
			t.Errorf("directive %s is enabled but okdctl's Corefile does not use it", d)
		}
	}
	var order []string
	for _, d := range dnsserver.Directives {
		if slices.Contains(corednsserve.Directives, d) {
			order = append(order, d)
		}
	}
	if !slices.Equal(order, corednsserve.Directives) {
		t.Errorf("Directives = %v, want CoreDNS's plugin.cfg order %v", corednsserve.Directives, order)
	}
}

func TestParseArgs(t *testing.T) {
	t.Parallel()
	if o, err := corednsserve.ParseArgs([]string{"-conf", "/etc/coredns/Corefile"}, io.Discard); err != nil || o.Conf != "/etc/coredns/Corefile" {
		t.Fatalf("ParseArgs(-conf) = %+v, %v", o, err)
	}
	for _, args := range [][]string{nil, {"-conf"}, {"-conf", "x", "y"}, {"-quiet"}} {
		if _, err := corednsserve.ParseArgs(args, io.Discard); err == nil {
			t.Errorf("ParseArgs(%q) accepted", args)
		}
	}
}

// TestServeCoreDNS runs `okdctl serve coredns` as the okdctl-coredns unit
// does: SIGUSR1 reloads a changed Corefile in place, a broken one leaves
// the running one serving, and SIGTERM stops it cleanly.
func TestServeCoreDNS(t *testing.T) {
	t.Parallel()
	port := testenv.FreePort(t, "127.0.0.1")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	conf := filepath.Join(t.TempDir(), "Corefile")
	corefile := func(ip string) string {
		return fmt.Sprintf("okd.test:%d {\n    bind 127.0.0.1\n    errors\n    template IN A okd.test {\n"+
			"        answer \"{{ .Name }} 60 IN A %s\"\n    }\n}\n", port, ip)
	}
	write(t, conf, corefile("192.0.2.1"))
	p := testenv.Start(t, testenv.Okdctl(t), "serve", "coredns", "-conf", conf)
	ctx := testenv.Context(t, time.Minute)
	waitAnswer(ctx, t, p, addr, "192.0.2.1")

	write(t, conf, corefile("192.0.2.2"))
	if err := p.Cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	waitAnswer(ctx, t, p, addr, "192.0.2.2")

	write(t, conf, "okd.test {\n    no_such_plugin\n}\n")
	if err := p.Cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	waitAnswer(ctx, t, p, addr, "192.0.2.2")

	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !p.Exited(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still running 10s after SIGTERM\n%s", p.Log.String())
		}
	}
	if code := p.Cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit status %d after SIGTERM\n%s", code, p.Log.String())
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func waitAnswer(ctx context.Context, t *testing.T, p *testenv.Process, addr, ip string) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err := dnsrecords.Exchange(ctx, addr, "api.okd.test.", dns.TypeA, 300*time.Millisecond, 1)
		if err != nil {
			last = err.Error()
			continue
		}
		if len(resp.Answer) == 1 {
			if a, ok := resp.Answer[0].(*dns.A); ok && a.A.String() == ip {
				return
			}
		}
		last = resp.String()
	}
	t.Fatalf("%s did not answer api.okd.test A %s: %s\n%s", addr, ip, last, p.Log.String())
}
