package dnsrecords

import (
	"context"
	"fmt"
	"testing"

	"github.com/okdctl/okdctl/internal/testenv"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// BenchmarkSyncVerify1000 syncs a 1,000-node cluster into a real etcd (with
// the transaction limit okdctl's own etcd runs with) and verifies every
// record through a real CoreDNS: "initial" from an empty etcd (one
// transaction of ~2,000 keys), "unchanged" a re-run that writes nothing.
// CoreDNS does not cache the cluster's zones, so every query reads etcd.
// The resident memory of etcd and CoreDNS (okdctl serve) is reported idle
// (started, no records) and at its peak.
func BenchmarkSyncVerify1000(b *testing.B) {
	client, peer := testenv.FreePort(b, "127.0.0.1"), testenv.FreePort(b, "127.0.0.1")
	etcd := startEtcdAt(b, b.TempDir(), client, peer, "--max-txn-ops", "16384")
	in := testInput(1000)
	e := startEnv(b, in, fmt.Sprintf("http://127.0.0.1:%d", client))
	etcdIdle, _ := testenv.Memory(b, etcd.Cmd.Process.Pid)
	dnsIdle, _ := testenv.Memory(b, e.coredns.Cmd.Process.Pid)
	memory := func(b *testing.B) {
		_, etcdPeak := testenv.Memory(b, etcd.Cmd.Process.Pid)
		_, dnsPeak := testenv.Memory(b, e.coredns.Cmd.Process.Pid)
		b.ReportMetric(etcdIdle, "etcd-idle-MiB")
		b.ReportMetric(etcdPeak, "etcd-peak-MiB")
		b.ReportMetric(dnsIdle, "coredns-idle-MiB")
		b.ReportMetric(dnsPeak, "coredns-peak-MiB")
	}
	desired := mustDesired(b, in)
	records, err := Records(in)
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, wantTxns int) {
		res, err := e.syncer(in).Sync(context.Background(), desired)
		if err != nil || res.Txns != wantTxns {
			b.Fatalf("sync: %v (%d txns, want %d)", err, res.Txns, wantTxns)
		}
		if rep := Verify(context.Background(), VerifyOptions{Server: e.addr}, Checks(in, records)); !rep.OK() {
			b.Fatal(rep)
		}
	}
	b.Run("initial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			if _, err := e.client.Delete(context.Background(), "/skydns/", clientv3.WithPrefix()); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			run(b, 1)
		}
		b.ReportMetric(float64(len(desired)), "keys/op")
		memory(b)
	})
	b.Run("unchanged", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			run(b, 0)
		}
		b.ReportMetric(float64(len(Checks(in, records))), "queries/op")
		memory(b)
	})
}

// BenchmarkVerify1000 verifies the 1,000-node record set (every A, PTR,
// the *.apps wildcard and an absent name) through okdctl's own CoreDNS
// (reading etcd, no cache) and through BIND holding the same records from
// dynamic updates: the DNS part of `okdctl verify` on a large cluster.
func BenchmarkVerify1000(b *testing.B) {
	in := testInput(1000)
	records, err := Records(in)
	if err != nil {
		b.Fatal(err)
	}
	e := startEnv(b, in, "")
	if _, err := e.syncer(in).Sync(context.Background(), mustDesired(b, in)); err != nil {
		b.Fatal(err)
	}
	bind := testenv.StartBIND(b, testenv.BINDOptions{Zones: []string{bindZone, "0.127.in-addr.arpa."}})
	u, err := NewUpdater(in, External{Server: bind.Addr, Zone: bindZone, ReverseZones: []string{"0.127.in-addr.arpa."},
		Key: TSIGKey{Name: bind.KeyName, Secret: bind.Secret}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := u.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	for _, s := range []struct{ name, addr string }{{"coredns", e.addr}, {"bind", bind.Addr}} {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if rep := Verify(context.Background(), VerifyOptions{Server: s.addr}, Checks(in, records)); !rep.OK() {
					b.Fatal(rep)
				}
			}
			b.ReportMetric(float64(len(Checks(in, records))), "queries/op")
		})
	}
}

// BenchmarkUpdate1000 keeps a 1,000-node cluster's records in BIND by
// dynamic update: "initial" into zones holding none of them (every name
// added with its owner TXT record), "unchanged" a re-run that reads both
// zones by AXFR and sends nothing.
func BenchmarkUpdate1000(b *testing.B) {
	in := testInput(1000)
	zones := []string{bindZone, "0.127.in-addr.arpa."}
	run := func(b *testing.B, bind *testenv.BIND, wantMessages int) {
		u, err := NewUpdater(in, External{Server: bind.Addr, Zone: bindZone, ReverseZones: zones[1:],
			Key: TSIGKey{Name: bind.KeyName, Secret: bind.Secret}})
		if err != nil {
			b.Fatal(err)
		}
		res, err := u.Sync(context.Background())
		if err != nil || (wantMessages >= 0 && res.Messages != wantMessages) || (wantMessages < 0 && res.Messages == 0) {
			b.Fatalf("sync: %v (%+v)", err, res)
		}
	}
	b.Run("initial", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			bind := testenv.StartBIND(b, testenv.BINDOptions{Zones: zones})
			b.StartTimer()
			run(b, bind, -1)
			b.StopTimer()
			bind.Proc.Stop()
			b.StartTimer()
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		bind := testenv.StartBIND(b, testenv.BINDOptions{Zones: zones})
		run(b, bind, -1)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			run(b, bind, 0)
		}
	})
}
