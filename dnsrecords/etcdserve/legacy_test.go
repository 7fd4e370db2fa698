package etcdserve_test

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/okdctl/okdctl/dnsrecords/etcdserve"
	"github.com/okdctl/okdctl/internal/testenv"
)

// TestLegacyDataIsRestored switches an okdctl-etcd member written by
// Debian's etcd 3.4 (what existing bastions run; the test-only etcd-server
// package) to `okdctl serve etcd`: etcd 3.7 cannot replay its WAL, so the
// data is restored from its database, and the records answer after it.
func TestLegacyDataIsRestored(t *testing.T) {
	t.Parallel()
	old := testenv.Binary(t, "etcd")
	dir := filepath.Join(t.TempDir(), "etcd")
	client, peer := testenv.FreePort(t, ""), testenv.FreePort(t, "")
	cu, pu := fmt.Sprintf("http://127.0.0.1:%d", client), fmt.Sprintf("http://127.0.0.1:%d", peer)
	flags := []string{"--name", "okdctl", "--data-dir", dir, "--listen-client-urls", cu,
		"--advertise-client-urls", cu, "--listen-peer-urls", pu, "--initial-advertise-peer-urls", pu,
		"--initial-cluster", "okdctl=" + pu, "--log-level", "warn"}
	p := testenv.Start(t, old, flags...)
	testenv.WaitTCP(t, fmt.Sprintf("127.0.0.1:%d", client), 20*time.Second)
	ctx := testenv.Context(t, 2*time.Minute)
	v, err := etcdserve.RunningVersion(ctx, cu)
	if err != nil || etcdserve.Serves(v) {
		t.Fatalf("RunningVersion(Debian's etcd) = %q, %v; want a version the embedded server cannot open in place", v, err)
	}
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{cu}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := map[string]string{}
	for i := range 50 {
		k, v := fmt.Sprintf("/skydns/test/okd/n%02d", i), fmt.Sprintf(`{"host":"192.0.2.%d","ttl":30}`, i+1)
		if _, err := c.Put(ctx, k, v); err != nil {
			t.Fatal(err)
		}
		want[k] = v
	}
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); !p.Exited(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Debian's etcd did not stop")
		}
	}

	if legacy, err := etcdserve.Legacy(dir); err != nil || !legacy {
		t.Fatalf("Legacy(etcd 3.4 data) = %v, %v; want true", legacy, err)
	}
	if !etcdserve.HasData(dir) || etcdserve.HasData(t.TempDir()) {
		t.Fatal("HasData does not tell a member's directory from an empty one")
	}
	m := etcdserve.Member{Name: "okdctl", DataDir: dir, PeerURL: pu}
	kept, err := etcdserve.RestoreLegacy(m, time.Date(2026, 11, 29, 13, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if kept != dir+".etcd-legacy-20261129-130000" {
		t.Errorf("old data kept in %s", kept)
	}
	if _, err := os.Stat(filepath.Join(kept, "member", "wal")); err != nil {
		t.Errorf("the old data is not kept: %v", err)
	}
	testenv.Start(t, testenv.Okdctl(t), append([]string{"serve", "etcd"}, flags...)...)
	resp, err := c.Get(ctx, "/skydns/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, kv := range resp.Kvs {
		got[string(kv.Key)] = string(kv.Value)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after the switch: %d keys %v\nwant %d keys", len(got), got, len(want))
	}
	if v, err := etcdserve.RunningVersion(ctx, cu); err != nil || !etcdserve.Serves(v) {
		t.Fatalf("RunningVersion(okdctl serve etcd) = %q, %v", v, err)
	}
}
