package etcdserve_test

import (
	"fmt"
	"io"
	"net/url"
	"regexp"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/okdctl/okdctl/dnsrecords/etcdserve"
	"github.com/okdctl/okdctl/internal/testenv"
)

func TestParseArgs(t *testing.T) {
	t.Parallel()
	cfg, err := etcdserve.ParseArgs([]string{"--name", "okdctl", "--data-dir", "/var/lib/okdctl/etcd",
		"--listen-client-urls", "http://127.0.0.1:2379", "--advertise-client-urls", "http://127.0.0.1:2379",
		"--listen-peer-urls", "http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
		"--initial-cluster", "okdctl=http://127.0.0.1:2380", "--max-txn-ops", "16384", "--max-request-bytes", "10485760",
		"--auto-compaction-retention", "1", "--log-level", "warn"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%s %s %v %v %v %v %s %d %d %s %s %s", cfg.Name, cfg.Dir, urls(cfg.ListenClientUrls), urls(cfg.AdvertiseClientUrls),
		urls(cfg.ListenPeerUrls), urls(cfg.AdvertisePeerUrls), cfg.InitialCluster, cfg.MaxTxnOps, cfg.MaxRequestBytes,
		cfg.AutoCompactionRetention, cfg.LogLevel, cfg.ClusterState)
	want := "okdctl /var/lib/okdctl/etcd [http://127.0.0.1:2379] [http://127.0.0.1:2379] [http://127.0.0.1:2380] " +
		"[http://127.0.0.1:2380] okdctl=http://127.0.0.1:2380 16384 10485760 1 warn new"
	if got != want {
		t.Fatalf("parsed\n %s\nwant\n %s", got, want)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--no-such-flag"}, `^failed to parse the etcd flags: flag provided but not defined: -no-such-flag$`},
		{[]string{"--name", "a", "extra"}, `^unexpected argument "extra"`},
		{[]string{"--initial-cluster-state", "maybe"}, `^failed to parse the etcd flags: invalid value "maybe"`},
		{[]string{"--log-level", "loud"}, `^invalid etcd configuration: .*loud`},
	} {
		_, err := etcdserve.ParseArgs(c.args, io.Discard)
		if err == nil || !regexp.MustCompile(c.want).MatchString(err.Error()) {
			t.Errorf("ParseArgs(%q) = %v, want an error matching %s", c.args, err, c.want)
		}
	}
}

// TestServeEtcd runs `okdctl serve etcd` as the okdctl-etcd unit does: a
// record survives a SIGTERM (a clean stop, exit status 0) and a restart.
func TestServeEtcd(t *testing.T) {
	t.Parallel()
	bin, dir := testenv.Okdctl(t), t.TempDir()
	client, peer := testenv.FreePort(t, ""), testenv.FreePort(t, "")
	cu, pu := fmt.Sprintf("http://127.0.0.1:%d", client), fmt.Sprintf("http://127.0.0.1:%d", peer)
	args := []string{"serve", "etcd", "--name", "okdctl", "--data-dir", dir, "--listen-client-urls", cu,
		"--advertise-client-urls", cu, "--listen-peer-urls", pu, "--initial-advertise-peer-urls", pu,
		"--initial-cluster", "okdctl=" + pu, "--max-txn-ops", "16384", "--log-level", "warn"}
	p := testenv.Start(t, bin, args...)
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{cu}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := testenv.Context(t, time.Minute)
	if _, err := c.Put(ctx, "/skydns/test/okd/api", `{"host":"192.0.2.10"}`); err != nil {
		t.Fatalf("put: %v\n%s", err, p.Log.String())
	}
	// a large cluster's record set is one transaction: --max-txn-ops is honoured
	ops := make([]clientv3.Op, 200)
	for i := range ops {
		ops[i] = clientv3.OpPut(fmt.Sprintf("/skydns/test/okd/n%03d", i), "{}")
	}
	if _, err := c.Txn(ctx).Then(ops...).Commit(); err != nil {
		t.Fatalf("a 200-operation transaction: %v", err)
	}
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := waitExit(p, 20*time.Second); err != nil {
		t.Fatalf("after SIGTERM: %v\n%s", err, p.Log.String())
	}
	if legacy, err := etcdserve.Legacy(dir); err != nil || legacy {
		t.Fatalf("Legacy(data of okdctl serve etcd) = %v, %v; want false", legacy, err)
	}
	p = testenv.Start(t, bin, args...)
	resp, err := c.Get(ctx, "/skydns/test/okd/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil || resp.Count != 201 {
		t.Fatalf("after a restart: %v, %d keys, want 201\n%s", err, respCount(resp), p.Log.String())
	}
}

func urls(us []url.URL) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.String())
	}
	return out
}

func respCount(r *clientv3.GetResponse) int64 {
	if r == nil {
		return -1
	}
	return r.Count
}

// waitExit waits for a clean exit (status 0).
func waitExit(p *testenv.Process, d time.Duration) error {
	deadline := time.Now().Add(d)
	for !p.Exited() {
		if time.Now().After(deadline) {
			return fmt.Errorf("still running after %s", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code := p.Cmd.ProcessState.ExitCode(); code != 0 {
		return fmt.Errorf("exit status %d", code)
	}
	return nil
}
