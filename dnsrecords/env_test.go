package dnsrecords

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/testenv"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// testInput is a loopback cluster of n nodes (bootstrap, masters, workers).
func testInput(n int) Input {
	in := Input{ClusterName: "itest", BaseDomain: "okd.test", BastionIP: "127.0.1.1", RegistryEnabled: true,
		Networks: []string{"127.0.0.0/16"}}
	for i := range n {
		role, name := "worker", fmt.Sprintf("w%d", i)
		switch {
		case i == 0:
			role, name = "bootstrap", "bootstrap"
		case i <= 3:
			role, name = "master", fmt.Sprintf("m%d", i-1)
		}
		in.Nodes = append(in.Nodes, Node{Name: name, Role: role, IP: fmt.Sprintf("127.0.%d.%d", 1+(i+2)/250, 2+(i+2)%250)})
	}
	return in
}

// dnsEnv is a real etcd and a real CoreDNS reading it, on loopback.
type dnsEnv struct {
	coredns *testenv.Process
	etcd    string
	client  *clientv3.Client
	addr    string
	in      Input
	srv     Server
}

func startEnv(t testing.TB, in Input, etcdEndpoint string) *dnsEnv {
	t.Helper()
	if etcdEndpoint == "" {
		etcdEndpoint = testenv.StartEtcd(t).Endpoint
	}
	client, err := NewClient([]string{etcdEndpoint})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	port := testenv.FreePort(t, "127.0.0.1")
	srv := Server{Listen: []string{"127.0.0.1"}, Port: port, Endpoints: []string{etcdEndpoint}}
	corefile, err := RenderCorefile(in, srv)
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(t.TempDir(), "Corefile")
	if err := os.WriteFile(conf, corefile, 0o644); err != nil {
		t.Fatal(err)
	}
	p := testenv.StartCoreDNS(t, conf)
	testenv.WaitTCP(t, fmt.Sprintf("127.0.0.1:%d", port), 20*time.Second)
	return &dnsEnv{coredns: p, etcd: etcdEndpoint, client: client, addr: fmt.Sprintf("127.0.0.1:%d", port), in: in, srv: srv}
}

// startEtcdAt runs etcd on fixed ports (so it can be restarted) with extra flags.
func startEtcdAt(t testing.TB, dataDir string, client, peer int, extra ...string) *testenv.Process {
	t.Helper()
	cu, pu := fmt.Sprintf("http://127.0.0.1:%d", client), fmt.Sprintf("http://127.0.0.1:%d", peer)
	args := append([]string{"--name", "default", "--data-dir", dataDir, "--listen-client-urls", cu,
		"--advertise-client-urls", cu, "--listen-peer-urls", pu, "--initial-advertise-peer-urls", pu,
		"--initial-cluster", "default=" + pu, "--log-level", "warn"}, extra...)
	p := testenv.Start(t, testenv.Okdctl(t), append([]string{"serve", "etcd"}, args...)...)
	testenv.WaitTCP(t, fmt.Sprintf("127.0.0.1:%d", client), 20*time.Second)
	return p
}

func (e *dnsEnv) syncer(in Input) *Syncer {
	return NewSyncer(in, e.client, []string{e.etcd})
}

func (e *dnsEnv) sync(t testing.TB, in Input) *Result {
	t.Helper()
	desired, err := Desired(in)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.syncer(in).Sync(testenv.Context(t, time.Minute), desired)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// verify polls until every check of in answers rightly.
func (e *dnsEnv) verify(t testing.TB, in Input) *Report {
	t.Helper()
	records, err := Records(in)
	if err != nil {
		t.Fatal(err)
	}
	var rep *Report
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		rep = Verify(context.Background(), VerifyOptions{Server: e.addr}, Checks(in, records))
		if rep.OK() {
			return rep
		}
	}
	t.Fatal(rep)
	return nil
}

// snapshot is every key in etcd with its value and mod revision.
func (e *dnsEnv) snapshot(t testing.TB) (map[string]string, int64) {
	t.Helper()
	resp, err := e.client.Get(testenv.Context(t, 10*time.Second), "", clientv3.WithFromKey())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, kv := range resp.Kvs {
		out[string(kv.Key)] = fmt.Sprintf("%s@%d", kv.Value, kv.ModRevision)
	}
	return out, resp.Header.Revision
}

func (e *dnsEnv) put(t testing.TB, key, val string) {
	t.Helper()
	if _, err := e.client.Put(testenv.Context(t, 10*time.Second), key, val); err != nil {
		t.Fatal(err)
	}
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
