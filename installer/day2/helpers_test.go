package day2

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/okdctl/okdctl/internal/testenv"
)

func etcdClient(t testing.TB, endpoint string) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestMain(m *testing.M) {
	// coredns and kube-apiserver are built into the repository's bin/
	_ = os.Setenv("PATH", filepath.Join(testenv.RepoRoot(), "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	code := m.Run()
	if snapPath != "" {
		os.RemoveAll(filepath.Dir(snapPath))
	}
	os.Exit(code)
}

func splitHostPort(addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(port)
	return host, n, err
}
