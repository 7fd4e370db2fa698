package spec

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/okdctl/okdctl/examples"
)

// FuzzLoad feeds arbitrary bytes to the spec loader: it must return a
// cluster or an error, never panic.
func FuzzLoad(f *testing.F) {
	for _, name := range examples.Names {
		data, err := examples.FS.ReadFile(name + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("spec:\n  nodes: [{name: a, role: master, ip: 1.2.3.4}]\n"))
	f.Add([]byte("spec: {network: {clusterNetwork: [{cidr: 10.0.0.0/8, hostPrefix: 99}]}}"))
	f.Add([]byte("&a [*a]"))
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "id.pub"), []byte(testKey), 0o644); err != nil {
		f.Fatal(err)
	}
	file := filepath.Join(dir, "cluster.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Load(data, file)
		if (c == nil) == (err == nil) {
			t.Fatalf("Load returned cluster %v and error %v", c != nil, err)
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error")
		}
	})
}
