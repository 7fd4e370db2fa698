package haproxy

import (
	"bytes"
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/testenv"
)

// lb is a real HAProxy run by a sandbox host in front of stand-in nodes.
type lb struct {
	in    Input
	cfg   []byte
	d     *Deployer
	host  *bastion.Host
	nodes map[string]*node
}

func (l *lb) addr(port int) string { return net.JoinHostPort(l.in.BindIP, strconv.Itoa(port)) }

// testHealth probes fast so that tests see state changes in well under a second.
var testHealth = Health{Interval: 100 * time.Millisecond, Timeout: 500 * time.Millisecond, Rise: 1, Fall: 2}

func startLB(t *testing.T) *lb {
	t.Helper()
	names := []string{"bootstrap", "m0", "m1", "w0"}
	nodes, np := startNodes(t, names, []string{"127.0.1.2", "127.0.1.3", "127.0.1.4", "127.0.1.5"})
	bind := "127.0.1.1"
	in := Input{Cluster: "it.okd.test", BindIP: bind, NodePorts: np, Health: testHealth,
		Ports: Ports{API: testenv.FreePort(t, bind), MachineConfig: testenv.FreePort(t, bind),
			IngressHTTP: testenv.FreePort(t, bind), IngressHTTPS: testenv.FreePort(t, bind), Stats: testenv.FreePort(t, bind)},
		Bootstrap: []Server{{"bootstrap", nodes[0].ip}}, Masters: []Server{{"m0", nodes[1].ip}, {"m1", nodes[2].ip}},
		Workers: []Server{{"w0", nodes[3].ip}}}
	l := &lb{in: in, nodes: map[string]*node{}}
	for _, n := range nodes {
		l.nodes[n.name] = n
	}
	l.host = bastion.NewHost(bastion.HostOptions{Root: t.TempDir(), Sandbox: true})
	l.d = &Deployer{Host: l.host, Binary: testenv.Binary(t, "haproxy"),
		ConfigPath: l.host.Paths.Path("/etc/haproxy/haproxy.cfg"),
		SocketPath: l.host.Paths.Path("/var/lib/okdctl/haproxy/master.sock")}
	t.Cleanup(func() { _ = l.host.Services.Stop(context.Background(), ServiceName) })
	var err error
	if l.cfg, err = Render(in); err != nil {
		t.Fatal(err)
	}
	ctx := testenv.Context(t, 30*time.Second)
	if res, err := l.d.Apply(ctx, l.cfg); err != nil || res.Action != bastion.Started {
		t.Fatalf("first apply: %+v, %v", res, err)
	}
	testenv.WaitTCP(t, l.addr(in.Ports.API), 5*time.Second)
	if err := Verify(ctx, bind, in.Ports); err != nil {
		t.Fatal(err)
	}
	l.waitStatus(t, "api", "m0", "UP")
	l.waitStatus(t, "api", "m1", "UP")
	return l
}

func (l *lb) waitStatus(t *testing.T, proxy, server, want string) {
	t.Helper()
	var got string
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if got, err = serverStatus(l.addr(l.in.Ports.Stats), proxy, server); err == nil && strings.HasPrefix(got, want) {
			return
		}
	}
	t.Fatalf("%s/%s is %q (%v), want %s", proxy, server, got, err, want)
}

// answers makes n fresh API requests and counts who answered.
func (l *lb) answers(t *testing.T, n int) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for i := 0; i < n; i++ {
		who, err := whoAnswers(l.addr(l.in.Ports.API))
		if err != nil {
			t.Fatalf("API request %d through haproxy: %v", i, err)
		}
		seen[who]++
	}
	return seen
}

func (l *lb) pid(t *testing.T) int {
	t.Helper()
	pid, _, err := l.d.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func TestAPIReachesHealthyMasters(t *testing.T) {
	t.Parallel()
	l := startLB(t)
	seen := l.answers(t, 10)
	if seen["m0"] == 0 || seen["m1"] == 0 || seen["m0"]+seen["m1"] != 10 {
		t.Fatalf("API answers %v, want round robin over m0 and m1 only (bootstrap is a backup)", seen)
	}
	c, err := net.Dial("tcp", l.addr(l.in.Ports.IngressHTTPS))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 3)
	if _, err := c.Read(buf); err != nil || string(buf) != "w0\n" {
		t.Fatalf("ingress answered %q (%v), want the worker", buf, err)
	}
}

func TestFailedMasterLeavesThePool(t *testing.T) {
	t.Parallel()
	l := startLB(t)
	l.nodes["m1"].ready.Store(false)
	l.waitStatus(t, "api", "m1", "DOWN")
	if seen := l.answers(t, 8); seen["m0"] != 8 {
		t.Fatalf("with m1's /readyz failing, API answers %v, want only m0", seen)
	}
	l.nodes["m0"].ready.Store(false)
	l.waitStatus(t, "api", "m0", "DOWN")
	if seen := l.answers(t, 4); seen["bootstrap"] != 4 {
		t.Fatalf("with both masters failing, API answers %v, want the bootstrap backup", seen)
	}
	l.nodes["m1"].ready.Store(true)
	l.waitStatus(t, "api", "m1", "UP")
	if seen := l.answers(t, 4); seen["m1"] != 4 {
		t.Fatalf("after m1 recovered, API answers %v, want only m1", seen)
	}
}

func TestRemoveBootstrapKeepsOpenConnections(t *testing.T) {
	t.Parallel()
	l := startLB(t)
	pid := l.pid(t)
	conn, err := dialAPI(l.addr(l.in.Ports.API))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.c.Close()
	first, err := conn.get()
	if err != nil {
		t.Fatal(err)
	}
	ctx := testenv.Context(t, 30*time.Second)
	res, err := RemoveBootstrap(ctx, l.d, l.in)
	if err != nil || !res.Written || res.Action != bastion.Reloaded {
		t.Fatalf("RemoveBootstrap: %+v, %v", res, err)
	}
	again, err := conn.get()
	if err != nil || again != first {
		t.Fatalf("the connection opened before the reload answered %q (%v), want %q", again, err, first)
	}
	live, _ := os.ReadFile(l.d.ConfigPath)
	if bytes.Contains(live, []byte("server bootstrap")) {
		t.Fatalf("bootstrap still in the live config:\n%s", live)
	}
	if _, err := serverStatus(l.addr(l.in.Ports.Stats), "api", "bootstrap"); err == nil {
		t.Fatal("the reloaded haproxy still lists api/bootstrap")
	}
	if got := l.pid(t); got != pid {
		t.Fatalf("haproxy master pid changed from %d to %d: restarted instead of reloaded", pid, got)
	}
	changes := l.host.Changes()
	if res, err := RemoveBootstrap(ctx, l.d, l.in); err != nil || res.Written || res.Action != bastion.Unchanged {
		t.Fatalf("second RemoveBootstrap: %+v, %v, want nothing changed", res, err)
	}
	if l.host.Changes() != changes {
		t.Fatal("second RemoveBootstrap wrote files")
	}
}

func TestInvalidCandidateRefused(t *testing.T) {
	t.Parallel()
	l := startLB(t)
	pid := l.pid(t)
	bad := append(append([]byte(nil), l.cfg...), "\nlisten broken\n    bind 127.0.1.1:notaport\n"...)
	_, err := l.d.Apply(testenv.Context(t, 30*time.Second), bad)
	if err == nil || !strings.Contains(err.Error(), "ALERT") || !strings.Contains(err.Error(), "left in place") {
		t.Fatalf("Apply(invalid) = %v, want haproxy's ALERT output and the live file kept", err)
	}
	if live, _ := os.ReadFile(l.d.ConfigPath); !bytes.Equal(live, l.cfg) {
		t.Fatal("the invalid candidate replaced the live file")
	}
	if seen := l.answers(t, 2); seen["m0"]+seen["m1"] != 2 {
		t.Fatalf("after a refused candidate, API answers %v", seen)
	}
	if got := l.pid(t); got != pid {
		t.Fatalf("haproxy master pid changed from %d to %d", pid, got)
	}
}

func TestFailedReloadPutsTheOldConfigBack(t *testing.T) {
	t.Parallel()
	l := startLB(t)
	taken, err := net.Listen("tcp", net.JoinHostPort(l.in.BindIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	in := l.in
	in.Ports.Stats = taken.Addr().(*net.TCPAddr).Port
	cfg, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.d.Apply(testenv.Context(t, 30*time.Second), cfg)
	if err == nil || !strings.Contains(err.Error(), "cannot bind") || !strings.Contains(err.Error(), "put back") {
		t.Fatalf("Apply(unbindable) = %v, want the bind failure from haproxy's log and the old file back", err)
	}
	if live, _ := os.ReadFile(l.d.ConfigPath); !bytes.Equal(live, l.cfg) {
		t.Fatal("the live file is not the previous one after a failed reload")
	}
	// the old configuration still serves, its masters in the pool (waited
	// for first: under load a slow stand-in may be marked down for a while,
	// and then the bootstrap backup answers)
	l.waitStatus(t, "api", "m0", "UP")
	l.waitStatus(t, "api", "m1", "UP")
	if seen := l.answers(t, 2); seen["m0"]+seen["m1"] != 2 {
		t.Fatalf("after a failed reload, API answers %v", seen)
	}
}

func TestReapplyChangesNothing(t *testing.T) {
	t.Parallel()
	l := startLB(t)
	pid, changes := l.pid(t), l.host.Changes()
	res, err := l.d.Apply(testenv.Context(t, 30*time.Second), l.cfg)
	if err != nil || res.Written || res.Action != bastion.Unchanged {
		t.Fatalf("re-apply: %+v, %v, want nothing done", res, err)
	}
	if l.host.Changes() != changes || l.pid(t) != pid {
		t.Fatalf("re-apply wrote %d files, pid %d -> %d", l.host.Changes()-changes, pid, l.pid(t))
	}
}
