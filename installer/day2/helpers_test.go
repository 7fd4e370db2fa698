package day2

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
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
	code := m.Run()
	if snapPath != "" {
		os.RemoveAll(filepath.Dir(snapPath))
	}
	os.Exit(code)
}
