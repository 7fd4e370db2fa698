package installer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/dnsrecords"
	"github.com/okdctl/okdctl/internal/golden"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/spec"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestDNSGolden pins, for every example, the record set, its etcd keys
// and the Corefile the dns phase derives from the spec.
func TestDNSGolden(t *testing.T) {
	for _, name := range []string{"lab", "seed", "ha", "single-master", "sandbox", "compact", "disconnected"} {
		t.Run(name, func(t *testing.T) {
			data, file := testenv.ExampleSpec(t, name)
			c, err := spec.Load([]byte(data), file)
			if err != nil {
				t.Fatal(err)
			}
			v, err := c.ReleaseVersion()
			if err != nil {
				t.Fatal(err)
			}
			host := bastion.NewHost(bastion.HostOptions{Root: t.TempDir(), Sandbox: name == "sandbox", Okdctl: "/usr/local/bin/okdctl"})
			rc := &RunContext{cluster: c, host: host, release: v}
			in, srv := dnsInput(c, v), DNS(rc).Server()
			entries, err := dnsrecords.Desired(in)
			if err != nil {
				t.Fatal(err)
			}
			corefile, err := dnsrecords.RenderCorefile(in, srv)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			b.WriteString("# records\n")
			for _, e := range entries {
				fmt.Fprintln(&b, e.Record)
			}
			b.WriteString("\n# etcd keys\n")
			for _, e := range entries {
				fmt.Fprintf(&b, "%s %s\n", e.Key, e.Value)
			}
			fmt.Fprintf(&b, "\n# %s\n%s", strings.TrimPrefix(DNS(rc).CorefilePath(), host.Paths.Root), corefile)
			golden.Assert(t, filepath.Join("testdata", "dns", name+".golden"), b.Bytes())
		})
	}
}

// TestDNSPhaseSandbox plans and applies the dns phase as `okdctl apply
// --sandbox --only dns` does: real etcd and CoreDNS on loopback.
func TestDNSPhaseSandbox(t *testing.T) {
	c := sandboxWithPorts(t, "dns: 15353", "etcd: 12379", "etcdPeer: 12380")
	root := t.TempDir()
	sb := &bastion.Sandbox{Paths: bastion.Paths{Root: root}}
	t.Cleanup(func() { _, _ = sb.StopAll(context.Background()) })

	_, sum, _ := runPhase(t, c, root, true, &DNSPhase{}, ApplyOptions{})
	planned := plannedText(sum)
	for _, want := range []string{"to add, 0 to change, 0 to delete", "+ api.sandbox.okd.test.", "+ 3.1.0.127.in-addr.arpa.",
		"ensure okdctl-etcd runs", "ensure okdctl-coredns runs", "+    template IN A apps.sandbox.okd.test", "verify 13 DNS answers"} {
		if !strings.Contains(planned, want) {
			t.Errorf("plan lacks %q:\n%s", want, planned)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "etc")); err == nil {
		t.Error("the plan wrote files")
	}

	_, sum, out := runPhase(t, c, root, false, &DNSPhase{}, ApplyOptions{})
	if sum.Results[0].Status != StatusDone || !strings.Contains(out, "all 13 DNS checks answered rightly") {
		t.Fatalf("apply: %+v\n%s", sum.Results[0], out)
	}
	etcd := c.Spec.Bastion.IP + ":" + strconv.Itoa(c.Spec.Bastion.Ports.Etcd)
	client, err := dnsrecords.NewClient([]string{"http://" + etcd})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx := testenv.Context(t, time.Minute)
	foreignKey := "/skydns/test/okd/sandbox/printer/x1"
	if _, err := client.Put(ctx, foreignKey, `{"host":"127.0.1.200"}`); err != nil {
		t.Fatal(err)
	}
	rev := etcdRevision(t, client)
	pids := []int{sb.PID(dnsrecords.EtcdServiceName), sb.PID(dnsrecords.CoreDNSServiceName)}

	// unchanged: the runner confirms it; forced: the phase itself writes nothing
	if _, sum, _ = runPhase(t, c, root, false, &DNSPhase{}, ApplyOptions{}); sum.Results[0].Status != StatusUnchanged {
		t.Errorf("re-run: %+v, want unchanged", sum.Results[0])
	}
	r, _, out := runPhase(t, c, root, false, &DNSPhase{}, ApplyOptions{Force: []string{"dns"}})
	if n := r.Host.Changes(); n != 0 {
		t.Errorf("forced re-run made %d changes:\n%s", n, out)
	}
	if got := []int{sb.PID(dnsrecords.EtcdServiceName), sb.PID(dnsrecords.CoreDNSServiceName)}; got[0] != pids[0] || got[1] != pids[1] {
		t.Errorf("forced re-run restarted services: pids %v -> %v", pids, got)
	}
	if got := etcdRevision(t, client); got != rev {
		t.Errorf("forced re-run moved etcd from revision %d to %d", rev, got)
	}

	// a node leaves the spec: its A and PTR go, nothing else
	c.Spec.Nodes = c.Spec.Nodes[:2]
	_, sum, _ = runPhase(t, c, root, true, &DNSPhase{}, ApplyOptions{})
	if planned := plannedText(sum); !strings.Contains(planned, "0 to add, 0 to change, 2 to delete") ||
		!strings.Contains(planned, "- w0.sandbox.okd.test.") || !strings.Contains(planned, "- 4.1.0.127.in-addr.arpa.") {
		t.Errorf("plan after removing w0:\n%s", planned)
	}
	runPhase(t, c, root, false, &DNSPhase{}, ApplyOptions{})
	for _, key := range []string{"/skydns/test/okd/sandbox/w0/okdctl-1", "/skydns/arpa/in-addr/127/0/1/4"} {
		if resp, err := client.Get(ctx, key); err != nil || len(resp.Kvs) != 0 {
			t.Errorf("%s survived the node's removal (%v)", key, err)
		}
	}
	if resp, err := client.Get(ctx, foreignKey); err != nil || len(resp.Kvs) != 1 {
		t.Errorf("the foreign key %s did not survive (%v)", foreignKey, err)
	}

	// a Corefile change is checked, then reloaded in place (same pid); the
	// upstream is a loopback port nothing asks
	c.Spec.Network.UpstreamDNS = []string{"127.0.0.1:1"}
	pid := sb.PID(dnsrecords.CoreDNSServiceName)
	if _, _, out = runPhase(t, c, root, false, &DNSPhase{}, ApplyOptions{}); !strings.Contains(out, "okdctl-coredns reloaded") ||
		!strings.Contains(out, "the new Corefile served on a spare loopback port") {
		t.Errorf("Corefile change:\n%s", out)
	}
	if got := sb.PID(dnsrecords.CoreDNSServiceName); got != pid {
		t.Errorf("a Corefile change restarted CoreDNS (pid %d -> %d), want a reload", pid, got)
	}
}

func etcdRevision(t *testing.T, c *clientv3.Client) int64 {
	t.Helper()
	resp, err := c.Get(testenv.Context(t, 10*time.Second), "/")
	if err != nil {
		t.Fatal(err)
	}
	return resp.Header.Revision
}

// TestDNSUnits pins the real bastion's units and checks them with systemd-analyze.
func TestDNSUnits(t *testing.T) {
	c, err := spec.LoadFile(filepath.Join("..", "examples", "lab.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rc := &RunContext{cluster: c, host: bastion.NewHost(bastion.HostOptions{Okdctl: "/usr/local/bin/okdctl"})}
	corefile, err := dnsrecords.RenderCorefile(dnsInput(c, rc.Release()), DNS(rc).Server())
	if err != nil {
		t.Fatal(err)
	}
	d := DNS(rc)
	etcd, err := d.EtcdService()
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range []bastion.Service{etcd, d.CoreDNSService(corefile)} {
		unit := bastion.RenderUnit(svc)
		golden.Assert(t, filepath.Join("testdata", "dns", svc.Name+".service.golden"), unit)
		verifyUnit(t, svc.Name, unit)
	}
}

// TestSpecReservesEveryRecordName: every label the record set keeps for
// itself is a node name the spec's validation rejects, so a spec that
// validates never fails later in the dns phase for its node names.
func TestSpecReservesEveryRecordName(t *testing.T) {
	t.Parallel()
	c := validCluster()
	c.Spec.Release.Version = "4.3" // with the etcd records
	v, err := c.ReleaseVersion()
	if err != nil {
		t.Fatal(err)
	}
	reserved := map[string]bool{}
	for _, n := range spec.ReservedNodeNames(c) {
		reserved[n] = true
	}
	for name, what := range dnsInput(c, v).ReservedNames() {
		if strings.HasPrefix(name, "_") {
			continue // not a DNS label: validation rejects it anyway
		}
		if !reserved[name] {
			t.Errorf("the %s record's name %q is not rejected as a node name by spec validation", what, name)
		}
	}
}
