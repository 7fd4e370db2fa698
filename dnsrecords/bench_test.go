package dnsrecords

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/testenv"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// BenchmarkSyncVerify1000 syncs a 1,000-node cluster into a real etcd (with
// the transaction limit okdctl's own etcd runs with) and verifies every
// record through a real CoreDNS: "initial" from an empty etcd (one
// transaction of ~2,000 keys), "unchanged" a re-run that writes nothing.
// Between iterations (timer stopped) CoreDNS's 1 s cache expires, so every
// query reads etcd.
func BenchmarkSyncVerify1000(b *testing.B) {
	client, peer := testenv.FreePort(b, "127.0.0.1"), testenv.FreePort(b, "127.0.0.1")
	startEtcdAt(b, b.TempDir(), client, peer, "--max-txn-ops", "16384")
	in := testInput(1000)
	e := startEnv(b, in, fmt.Sprintf("http://127.0.0.1:%d", client))
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
			time.Sleep(1100 * time.Millisecond)
			b.StartTimer()
			run(b, 1)
		}
		b.ReportMetric(float64(len(desired)), "keys/op")
	})
	b.Run("unchanged", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			time.Sleep(1100 * time.Millisecond)
			b.StartTimer()
			run(b, 0)
		}
		b.ReportMetric(float64(len(Checks(in, records))), "queries/op")
	})
}
