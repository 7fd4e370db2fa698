package day2

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/okdctl/okdctl/dnsrecords"
	"github.com/okdctl/okdctl/internal/sshmaster"
	"github.com/okdctl/okdctl/internal/testenv"
)

// benchSnapshot is a snapshot of a real etcd holding the DNS records of a
// 1,000-node cluster (about 2,000 keys).
func benchSnapshot(b *testing.B) (string, SnapshotInfo) {
	b.Helper()
	e := testenv.StartEtcd(b)
	c := etcdClient(b, e.Endpoint)
	in := dnsrecords.Input{ClusterName: "bench", BaseDomain: "okd.test", BastionIP: "127.0.1.1", Networks: []string{"127.0.0.0/16"}}
	for i := range 1000 {
		role := "worker"
		if i < 3 {
			role = "master"
		}
		in.Nodes = append(in.Nodes, dnsrecords.Node{Name: fmt.Sprintf("n%d", i), Role: role, IP: fmt.Sprintf("127.0.%d.%d", 2+i/250, 2+i%250)})
	}
	desired, err := dnsrecords.Desired(in)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, d := range desired {
		if _, err := c.Put(ctx, d.Key, d.Value); err != nil {
			b.Fatal(err)
		}
	}
	path := filepath.Join(b.TempDir(), "snap.db")
	info, err := SaveSnapshot(ctx, e.Endpoint, path)
	if err != nil {
		b.Fatal(err)
	}
	return path, info
}

// BenchmarkBastionSnapshot1000 saves, verifies and restores the bastion
// etcd's snapshot of a 1,000-node cluster's records.
func BenchmarkBastionSnapshot1000(b *testing.B) {
	path, info := benchSnapshot(b)
	b.Logf("snapshot: %d keys, %d bytes", info.Keys, info.Size)
	b.Run("verify", func(b *testing.B) {
		b.SetBytes(info.Size)
		for i := 0; i < b.N; i++ {
			if _, err := VerifySnapshot(path); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("restore", func(b *testing.B) {
		b.SetBytes(info.Size)
		for i := 0; i < b.N; i++ {
			dir := filepath.Join(b.TempDir(), "data")
			if err := RestoreSnapshot(path, MemberOptions{Name: "okdctl", PeerURL: "http://127.0.0.1:2380", DataDir: dir}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSSHDownload copies a 32 MiB root-owned file from a simulated
// master the way a cluster backup is copied (sudo cat, checked by sha256).
func BenchmarkSSHDownload(b *testing.B) {
	key, pub := sshmaster.ClientKey(b)
	m := sshmaster.Start(b, sshmaster.Options{IP: "127.0.1.3", AuthorizedKey: pub})
	data := make([]byte, 32<<20)
	_, _ = rand.Read(data)
	if err := os.WriteFile(m.Path("/home/core/big.db"), data, 0o600); err != nil {
		b.Fatal(err)
	}
	_, port, _ := splitHostPort(m.Addr)
	o := SSHOptions{KeyFile: key, Port: port}.withDefaults(b.TempDir(), "")
	r, err := dialSSH(context.Background(), "m0", "127.0.1.3", o, func(string, ...any) {})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := r.download(ctx, "/home/core/big.db", filepath.Join(b.TempDir(), "big.db")); err != nil {
			b.Fatal(err)
		}
	}
}
