package dnsrecords

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/okdctl/okdctl/internal/testenv"
)

func dig(t *testing.T, addr string, args ...string) string {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	full := append([]string{"@" + host, "-p", port, "+tries=3", "+time=2"}, args...)
	out, err := exec.Command(testenv.Binary(t, "dig"), full...).CombinedOutput()
	if err != nil {
		t.Fatalf("dig %v: %v\n%s", full, err, out)
	}
	return string(out)
}

func TestServeEveryRecord(t *testing.T) {
	t.Parallel()
	in := testInput(6)
	in.EtcdRecords = true // SRV and etcd-N too
	e := startEnv(t, in, "")
	e.sync(t, in)
	rep := e.verify(t, in)
	if rep.Checked < 20 {
		t.Fatalf("only %d checks", rep.Checked)
	}
	if got := strings.TrimSpace(dig(t, e.addr, "+short", "api.itest.okd.test")); got != "127.0.1.1" {
		t.Errorf("dig api: %q", got)
	}
	if got := strings.TrimSpace(dig(t, e.addr, "+short", "-x", "127.0.1.5")); got != "m0.itest.okd.test." {
		t.Errorf("dig -x 127.0.1.5: %q", got)
	}
	if got := strings.TrimSpace(dig(t, e.addr, "+short", "console-openshift-console.apps.itest.okd.test")); got != "127.0.1.1" {
		t.Errorf("dig wildcard: %q", got)
	}
	if got := dig(t, e.addr, "nope.itest.okd.test"); !strings.Contains(got, "status: NXDOMAIN") {
		t.Errorf("dig unknown name in zone: want NXDOMAIN:\n%s", got)
	}
	if got := dig(t, e.addr, "-x", "127.0.9.9"); !strings.Contains(got, "status: NXDOMAIN") {
		t.Errorf("dig unknown PTR in zone: want NXDOMAIN:\n%s", got)
	}
	if got := strings.TrimSpace(dig(t, e.addr, "+short", "SRV", "_etcd-server-ssl._tcp.itest.okd.test")); strings.Count(got, "2380") != 3 {
		t.Errorf("dig SRV: %q", got)
	}
}

func TestEdgeAnswers(t *testing.T) {
	t.Parallel()
	in := testInput(3)
	e := startEnv(t, in, "")
	e.sync(t, in)
	cases := []struct {
		name  string
		qtype uint16
		rcode int
		n     int
	}{
		{"x.apps.itest.okd.test.", dns.TypeAAAA, dns.RcodeSuccess, 0}, // NODATA, not NXDOMAIN: the name exists
		{"apps.itest.okd.test.", dns.TypeA, dns.RcodeSuccess, 0},
		{"a.b.apps.itest.okd.test.", dns.TypeA, dns.RcodeSuccess, 1},
		{"api.itest.okd.test.", dns.TypeAAAA, dns.RcodeSuccess, 0},
		{"itest.okd.test.", dns.TypeSOA, dns.RcodeSuccess, 1},
		{"itest.okd.test.", dns.TypeNS, dns.RcodeSuccess, 1}, // ns.dns.itest.okd.test., the bastion
		{"ns.dns.itest.okd.test.", dns.TypeA, dns.RcodeSuccess, 1},
		{"missing.itest.okd.test.", dns.TypeAAAA, dns.RcodeNameError, 0},
		{"example.com.", dns.TypeA, dns.RcodeRefused, 0}, // no upstream: nothing leaves loopback
	}
	for _, c := range cases {
		resp, err := Exchange(context.Background(), e.addr, c.name, c.qtype, 2*time.Second, 3)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if resp.Rcode != c.rcode || len(resp.Answer) != c.n {
			t.Errorf("%s %s: rcode %s with %d answers, want %s with %d", c.name, dns.TypeToString[c.qtype],
				dns.RcodeToString[resp.Rcode], len(resp.Answer), dns.RcodeToString[c.rcode], c.n)
		}
	}
}

func TestResyncWritesNothing(t *testing.T) {
	t.Parallel()
	in := testInput(5)
	e := startEnv(t, in, "")
	first := e.sync(t, in)
	if first.Txns != 1 {
		t.Fatalf("first sync: %d transactions, want 1", first.Txns)
	}
	_, rev := e.snapshot(t)
	again := e.sync(t, in)
	if again.Txns != 0 || !again.Plan.Empty() || again.Plan.Kept != len(mustDesired(t, in)) {
		t.Fatalf("re-sync: %d txns, plan %s", again.Txns, again.Plan.Summary())
	}
	if _, rev2 := e.snapshot(t); rev2 != rev {
		t.Fatalf("etcd revision moved from %d to %d on a sync with nothing to do", rev, rev2)
	}
}

func mustDesired(t testing.TB, in Input) []Entry {
	t.Helper()
	d, err := Desired(in)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// foreign are keys written by someone else: a record in okdctl's zone, a
// PTR in its reverse zone, another cluster's record and a non-skydns value.
var foreign = map[string]string{
	"/skydns/test/okd/itest/printer/x1":  `{"host":"127.0.1.200"}`,
	"/skydns/arpa/in-addr/127/0/1/200":   `{"host":"printer.itest.okd.test."}`,
	"/skydns/test/okd/itest/other/x1":    `{"host":"127.0.1.201","owner":"okdctl/other.okd.test"}`,
	"/skydns/arpa/in-addr/127/0/1/201":   `{"host":"other.okd.test.","owner":"okdctl/other.okd.test"}`,
	"/skydns/test/okd/itest/notes":       `written by hand`,
	"/unrelated/config":                  `{"host":"127.0.1.1","owner":"okdctl/itest.okd.test"}`,
	"/skydns/test/okd/itest/w1-old/x9":   `{"host":"127.0.1.202"}`,
	"/skydns/test/okd/itest/api/manual1": `{"host":"127.0.1.1"}`,
}

func TestRemoveNodeAndForeignKeysSurvive(t *testing.T) {
	t.Parallel()
	in := testInput(6)
	e := startEnv(t, in, "")
	for k, v := range foreign {
		e.put(t, k, v)
	}
	e.sync(t, in)
	before, _ := e.snapshot(t)

	removed := in.Nodes[5] // w1
	smaller := in
	smaller.Nodes = in.Nodes[:5]
	res := e.sync(t, smaller)
	if add, change, del := res.Plan.Count(); add != 0 || change != 0 || del != 2 {
		t.Fatalf("removing a node: %s, want only its A and PTR deleted", res.Plan.Summary())
	}
	after, _ := e.snapshot(t)
	gone := map[string]bool{"/skydns/test/okd/itest/" + removed.Name + "/okdctl-1": true, "/skydns/arpa/in-addr/127/0/1/9": true}
	for k, v := range before {
		switch {
		case gone[k] && after[k] != "":
			t.Errorf("%s survived the removal of %s", k, removed.Name)
		case !gone[k] && after[k] != v:
			t.Errorf("%s changed from %s to %s", k, v, after[k])
		}
	}
	if len(after) != len(before)-2 {
		t.Errorf("%d keys before, %d after: want exactly 2 fewer (%v)", len(before), len(after), keysOf(after))
	}
	for k, v := range foreign {
		if got := after[k]; !strings.HasPrefix(got, v+"@") {
			t.Errorf("foreign key %s = %q, want %q untouched", k, got, v)
		}
	}
	e.verify(t, smaller)
	waitRcode(t, e.addr, removed.Name+".itest.okd.test.", dns.TypeA, dns.RcodeNameError)
	waitRcode(t, e.addr, "9.1.0.127.in-addr.arpa.", dns.TypePTR, dns.RcodeNameError)
}

func waitRcode(t *testing.T, addr, name string, qtype uint16, rcode int) {
	t.Helper()
	var got int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		resp, err := Exchange(context.Background(), addr, name, qtype, 2*time.Second, 2)
		if err == nil && resp.Rcode == rcode {
			return
		}
		if err == nil {
			got = resp.Rcode
		}
	}
	t.Errorf("%s %s: rcode %s, want %s", name, dns.TypeToString[qtype], dns.RcodeToString[got], dns.RcodeToString[rcode])
}

func TestForeignKeyAtOkdctlsKey(t *testing.T) {
	t.Parallel()
	in := testInput(4)
	e := startEnv(t, in, "")
	// the same answer at a key okdctl wants: left alone, not owned
	e.put(t, "/skydns/arpa/in-addr/127/0/1/4", `{"host":"bootstrap.itest.okd.test."}`)
	res := e.sync(t, in)
	if len(res.Plan.Foreign) != 1 {
		t.Fatalf("plan %s: want the equal foreign key left alone", res.Plan.Summary())
	}
	e.verify(t, in)
	// a different answer: refuse, write nothing
	e.put(t, "/skydns/arpa/in-addr/127/0/1/5", `{"host":"someone-else.example."}`)
	_, rev := e.snapshot(t)
	_, err := e.syncer(in).Sync(context.Background(), mustDesired(t, in))
	var conflict *ConflictError
	if !errors.As(err, &conflict) || len(conflict.Conflicts) != 1 || !strings.Contains(err.Error(), "etcdctl del") {
		t.Fatalf("want a conflict naming the key, got %v", err)
	}
	if _, rev2 := e.snapshot(t); rev2 != rev {
		t.Fatalf("a refused sync wrote to etcd (revision %d -> %d)", rev, rev2)
	}
}

func TestChangedAddressIsAChange(t *testing.T) {
	t.Parallel()
	in := testInput(4)
	e := startEnv(t, in, "")
	e.sync(t, in)
	moved := in
	moved.Nodes = append([]Node(nil), in.Nodes...)
	moved.Nodes[3].IP = "127.0.1.77"
	res := e.sync(t, moved)
	if add, change, del := res.Plan.Count(); add != 1 || change != 1 || del != 1 || res.Txns != 1 {
		t.Fatalf("moving a node: %s in %d txns; want its A changed, its PTR moved, in one transaction", res.Plan.Summary(), res.Txns)
	}
	lines := strings.Join(res.Plan.Lines(0), "\n")
	for _, want := range []string{"~ m2.itest.okd.test.", "was 127.0.1.7", "+ 77.1.0.127.in-addr.arpa.", "- 7.1.0.127.in-addr.arpa."} {
		if !strings.Contains(lines, want) {
			t.Errorf("plan lines lack %q:\n%s", want, lines)
		}
	}
	e.verify(t, moved)
}
