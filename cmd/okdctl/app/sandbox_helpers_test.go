package app

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/internal/testenv"
)

// sandboxSpec writes examples/sandbox.yaml with every bastion port free on
// 127.0.1.1 and the install directory in a temporary directory; it returns
// the spec's path and the install directory.
func sandboxSpec(t *testing.T) (string, string) {
	t.Helper()
	dir := copyExamples(t)
	path := filepath.Join(dir, "sandbox.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	install := filepath.Join(t.TempDir(), "install")
	ports := regexp.MustCompile(`(dns|api|machineConfig|ingressHTTP|ingressHTTPS|ignition|registry|etcd|etcdPeer|stats): \d+`)
	text := ports.ReplaceAllStringFunc(string(data), func(m string) string {
		name, _, _ := strings.Cut(m, ":")
		return fmt.Sprintf("%s: %d", name, testenv.FreePort(t, "127.0.1.1"))
	})
	text = strings.Replace(text, "installDir: ../.demo/sandbox-install", "installDir: "+install, 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, install
}
