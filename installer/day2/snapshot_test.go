package day2

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/testenv"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestSnapshotRoundTrip saves a snapshot of Debian's etcd, verifies it,
// restores it into a fresh data directory and starts etcd on it.
func TestSnapshotRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := testenv.Context(t, time.Minute)
	src := testenv.StartEtcd(t)
	c := etcdClient(t, src.Endpoint)
	for _, k := range []string{"/skydns/test/a/x1", "/skydns/test/b/x1"} {
		if _, err := c.Put(ctx, k, `{"host":"127.0.1.9"}`); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "snap.db")
	info, err := SaveSnapshot(ctx, src.Endpoint, path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("snapshot file: %v %v", fi, err)
	}
	if info.Keys != 2 || info.Revision < 3 {
		t.Errorf("info = %+v, want 2 keys", info)
	}
	peer := testenv.FreePort(t, "")
	dir := filepath.Join(t.TempDir(), "restored")
	opts := MemberOptions{Name: "default", PeerURL: "http://127.0.0.1:" + itoa(peer), DataDir: dir}
	if err := RestoreSnapshot(path, opts); err != nil {
		t.Fatal(err)
	}
	dst := testenv.StartEtcdWithData(t, dir)
	resp, err := etcdClient(t, dst.Endpoint).Get(ctx, "/skydns/", clientv3.WithPrefix())
	if err != nil || len(resp.Kvs) != 2 {
		t.Fatalf("restored etcd: %v %v", resp, err)
	}
}
