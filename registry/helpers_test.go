package registry

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/testenv"
)

// recLogger keeps every line, unmasked: whatever it holds, Ensure printed.
type recLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *recLogger) Infof(f string, a ...any) { l.add("info: " + fmt.Sprintf(f, a...)) }
func (l *recLogger) Warnf(f string, a ...any) { l.add("warning: " + fmt.Sprintf(f, a...)) }
func (l *recLogger) add(s string) {
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
}
func (l *recLogger) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// testRegistry is okdctl's registry run by Ensure in a sandbox on loopback.
type testRegistry struct {
	Root  string
	Host  *bastion.Host
	In    Input
	Res   *Result
	Log   *recLogger
	Extra []string // secrets registered through AddSecret
}

func layoutUnder(root string) Layout {
	st := filepath.Join(root, "var/lib/okdctl/test")
	return Layout{
		CACert: filepath.Join(st, "pki/ca.crt"), CAKey: filepath.Join(st, "pki/ca.key"),
		Cert: filepath.Join(st, "pki/registry.crt"), Key: filepath.Join(st, "pki/registry.key"),
		Password: filepath.Join(st, "registry/password"), Htpasswd: filepath.Join(st, "registry/htpasswd"),
		PullSecret: filepath.Join(st, "pull-secret.json"),
		Config:     filepath.Join(root, "etc/okdctl/registry/config.yml"),
		DataDir:    filepath.Join(st, "registry-data"),
	}
}

func newTestInput(t testing.TB, root string, log *recLogger) Input {
	return Input{
		Cluster: "test.okd.test", Name: "registry.test.okd.test", IP: "127.0.0.1",
		Port: testenv.FreePort(t, "127.0.0.1"), User: "admin",
		UserPullSecret: []byte(`{"auths":{"quay.io":{"auth":"dXNlcjpwYXNz","email":"me@example.com"}}}`),
		Layout:         layoutUnder(root),
		Okdctl:         testenv.Okdctl(t),
		Log:            log,
	}
}

func startTestRegistry(t testing.TB) *testRegistry {
	t.Helper()
	root := t.TempDir()
	tr := &testRegistry{Root: root, Log: &recLogger{}}
	tr.Host = bastion.NewHost(bastion.HostOptions{Root: root, Sandbox: true})
	tr.In = newTestInput(t, root, tr.Log)
	tr.In.AddSecret = func(s ...string) { tr.Extra = append(tr.Extra, s...) }
	t.Cleanup(func() { _ = tr.Host.Services.Stop(context.Background(), ServiceName) })
	ctx := testenv.Context(t, time.Minute)
	res, err := Ensure(ctx, tr.Host, tr.In)
	if err != nil {
		t.Fatalf("Ensure: %v\nregistry log:\n%s", err, tr.ServiceLog())
	}
	tr.Res = res
	return tr
}

// ServiceLog is the sandbox log of the registry process.
func (tr *testRegistry) ServiceLog() string {
	sb, ok := tr.Host.Services.(*bastion.Sandbox)
	if !ok {
		return ""
	}
	data, _ := os.ReadFile(sb.LogPath(ServiceName))
	return string(data)
}

// Password is the generated password, read from its file.
func (tr *testRegistry) Password(t testing.TB) string {
	data, err := os.ReadFile(tr.In.Layout.Password)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// CADir is a directory holding only ca.crt (skopeo's --cert-dir form).
func (tr *testRegistry) CADir(t testing.TB) string {
	dir := filepath.Join(tr.Root, "skopeo-certs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), tr.Res.Endpoint.CACert, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
