package dnsrecords

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/okdctl/okdctl/internal/testenv"
	"go.etcd.io/etcd/api/v3/mvccpb"
)

// TestChangeAnsweredAtOnce: okdctl's own CoreDNS does not cache the
// cluster's zones, so a moved or removed record is answered rightly by the
// very next query after the sync (no polling), even right after the old
// answers were asked for.
func TestChangeAnsweredAtOnce(t *testing.T) {
	t.Parallel()
	in := testInput(8)
	e := startEnv(t, in, "")
	e.sync(t, in)
	e.verify(t, in)
	e.verify(t, in) // every answer asked twice: a cache would hold them now

	next := testInput(6)
	next.Nodes = slices.Clone(next.Nodes)
	next.Nodes[4].IP = "127.0.1.77"
	e.sync(t, next)
	records, err := Records(next)
	if err != nil {
		t.Fatal(err)
	}
	checks := append(Checks(next, records), AbsentChecks([]string{"w6.itest.okd.test.", "w7.itest.okd.test.",
		"8.1.0.127.in-addr.arpa.", "11.1.0.127.in-addr.arpa."})...)
	if rep := Verify(context.Background(), VerifyOptions{Server: e.addr}, checks); !rep.OK() {
		t.Fatalf("right after the sync: %s", rep)
	}
}

// TestBINDAndCoreDNSAnswerAlike: the same spec served by okdctl's own
// CoreDNS (etcd + template plugin) and by BIND through dynamic updates
// (ordinary records and the *.apps wildcard) gives the same answers to
// every question a node or the verification asks.
func TestBINDAndCoreDNSAnswerAlike(t *testing.T) {
	t.Parallel()
	in := testInput(8)
	in.EtcdRecords = true
	in.IngressIP = "127.0.1.250"
	e := startEnv(t, in, "")
	e.sync(t, in)
	b := startBIND(t, testenv.BINDOptions{Zones: []string{"itest.okd.test.", bindReverse}, Records: map[string][]string{}})
	ext := externalOf(b)
	ext.Zone = "itest.okd.test."
	mustUpdate(t, in, ext)

	records, err := Records(in)
	if err != nil {
		t.Fatal(err)
	}
	checks := append(Checks(in, records), AbsentChecks([]string{"w9.itest.okd.test.", "200.1.0.127.in-addr.arpa."})...)
	for _, q := range []struct {
		name  string
		qtype uint16
	}{
		{"a.b.apps.itest.okd.test.", dns.TypeA}, {"apps.itest.okd.test.", dns.TypeA},
		{"x.apps.itest.okd.test.", dns.TypeAAAA}, {"api.itest.okd.test.", dns.TypeAAAA},
	} {
		checks = append(checks, Check{Name: q.name, Type: q.qtype})
	}
	for _, srv := range []string{e.addr, b.Addr} {
		if rep := Verify(context.Background(), VerifyOptions{Server: srv}, checks[:len(checks)-4]); !rep.OK() {
			t.Errorf("%s", rep)
		}
	}
	for _, c := range checks {
		own := ask2(t, e.addr, c)
		bind := ask2(t, b.Addr, c)
		if own != bind {
			t.Errorf("%s %s: CoreDNS answers %s, BIND %s", c.Name, dns.TypeToString[c.Type], own, bind)
		}
	}
}

func ask2(t *testing.T, server string, c Check) string {
	t.Helper()
	resp, err := Exchange(context.Background(), server, c.Name, c.Type, 2*time.Second, 3)
	if err != nil {
		t.Fatalf("%s %s at %s: %v", c.Name, dns.TypeToString[c.Type], server, err)
	}
	return show(resp.Rcode, answers(resp, c.Type))
}

func TestRemovedNames(t *testing.T) {
	t.Parallel()
	in := testInput(8)
	in.EtcdRecords = true
	old, err := Desired(in)
	if err != nil {
		t.Fatal(err)
	}
	current := map[string]*mvccpb.KeyValue{}
	for _, e := range old {
		current[e.Key] = &mvccpb.KeyValue{Key: []byte(e.Key), Value: []byte(e.Value)}
	}
	next := testInput(7) // w7 removed, and so are the etcd records
	next.Nodes[1].IP = "127.0.1.99"
	s := NewSyncer(next, nil, nil)
	records, _ := Records(next)
	plan := s.diff(mustDesired(t, next), current, 1)
	got := RemovedNames(plan, records)
	want := []string{"11.1.0.127.in-addr.arpa.", "5.1.0.127.in-addr.arpa.", "_etcd-server-ssl._tcp.itest.okd.test.",
		"etcd-0.itest.okd.test.", "etcd-1.itest.okd.test.", "etcd-2.itest.okd.test.", "w7.itest.okd.test."}
	if !slices.Equal(got, want) {
		t.Errorf("removed names:\n got %v\nwant %v", got, want)
	}
	if c := AbsentChecks(got); c[0].Type != dns.TypePTR || c[6].Type != dns.TypeA || c[6].Rcode != dns.RcodeNameError {
		t.Errorf("absent checks: %+v", c)
	}
}
