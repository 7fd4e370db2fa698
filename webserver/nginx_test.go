package webserver

import (
	"context"
	"crypto/rand"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/testenv"
)

// server is a real nginx run by a sandbox host.
type server struct {
	in   Input
	d    *Deployer
	host *bastion.Host
}

func sandboxInput(t testing.TB, p bastion.Paths) Input {
	in := Input{BindIP: "127.0.1.1", Port: testenv.FreePort(t, "127.0.1.1"),
		WebRoot: p.Path("/usr/share/nginx/okdctl/it"), PidFile: p.Path("/run/okdctl-nginx.pid"),
		AccessLog: p.Path("/var/log/okdctl/nginx-access.log"), TempDir: p.Path("/var/cache/okdctl-nginx")}
	if os.Geteuid() == 0 { // workers keep the identity that wrote the (0700) test directories
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		g, err := user.LookupGroupId(u.Gid)
		if err != nil {
			t.Fatal(err)
		}
		in.User, in.Group = u.Username, g.Name
	}
	return in
}

func startNginx(t *testing.T) *server {
	t.Helper()
	host := bastion.NewHost(bastion.HostOptions{Root: t.TempDir(), Sandbox: true})
	s := &server{in: sandboxInput(t, host.Paths), host: host}
	s.d = &Deployer{Host: host, Binary: testenv.Binary(t, "nginx"), ConfigPath: host.Paths.Path("/etc/nginx/okdctl.conf")}
	t.Cleanup(func() { _ = host.Services.Stop(context.Background(), ServiceName) })
	if res, err := s.d.Apply(testenv.Context(t, 30*time.Second), s.in); err != nil || res.Action != bastion.Started {
		t.Fatalf("first apply: %+v, %v", res, err)
	}
	testenv.WaitTCP(t, strings.TrimPrefix(s.in.BaseURL(), "http://"), 5*time.Second)
	return s
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestNginxServesOnlyThePublishedTrees(t *testing.T) {
	t.Parallel()
	s := startNginx(t)
	root := s.in.WebRoot
	image := make([]byte, 3<<20+17)
	rand.Read(image)
	writeFile(t, filepath.Join(root, "ignition", "master.ign"), []byte(`{"ignition":{"version":"3.2.0"}}`))
	writeFile(t, filepath.Join(root, "ignition", "worker.ign"), []byte(`{"ignition":{"version":"3.2.0"},"passwd":{}}`))
	writeFile(t, filepath.Join(root, "install", "fedora-coreos-metal.x86_64.raw.xz"), image)
	// what must never be served, even though it sits in the web root
	writeFile(t, filepath.Join(root, "ignition", ".master.ign.okdctl-tmp"), []byte("half-written"))
	writeFile(t, filepath.Join(root, "ignition", "node.key"), []byte("-----BEGIN PRIVATE KEY-----"))
	writeFile(t, filepath.Join(root, "ignition", "auth", "kubeconfig"), []byte("apiVersion: v1"))
	writeFile(t, filepath.Join(root, "secret.txt"), []byte("outside the trees"))
	if err := os.Symlink("/etc/passwd", filepath.Join(root, "install", "passwd.img")); err != nil {
		t.Fatal(err)
	}

	ctx := testenv.Context(t, 30*time.Second)
	v := &Verifier{BaseURL: s.in.BaseURL()}
	files, err := Published(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 4 { // master.ign, node.key, worker.ign, the image (symlinks and hidden files are not published)
		t.Fatalf("Published = %+v", files)
	}
	var served []File
	for _, f := range files {
		if !strings.HasSuffix(f.URLPath, ".key") {
			served = append(served, f)
		}
	}
	if err := v.Files(ctx, served); err != nil {
		t.Fatal(err)
	}
	refused := append([]string{"/ignition/.master.ign.okdctl-tmp", "/ignition/node.key", "/ignition/NODE.KEY",
		"/ignition/auth/kubeconfig", "/secret.txt", "/install/passwd.img", "/install/../secret.txt",
		"/ignition/%2e%2e/secret.txt", "/install"}, Refused...)
	if err := v.Refusals(ctx, refused); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"/ignition/master.ign": "application/json",
		"/install/fedora-coreos-metal.x86_64.raw.xz": "application/x-xz"} {
		resp, err := http.Get(s.in.BaseURL() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Content-Type"); got != want {
			t.Errorf("%s is served as %q, want %q", path, got, want)
		}
	}
	resp, err := http.Post(s.in.BaseURL()+"/ignition/master.ign", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST answered %d, want 403", resp.StatusCode)
	}
	if err := v.Files(ctx, []File{{URLPath: "/ignition/master.ign", SHA512: "sha512-00"}}); err == nil {
		t.Error("a wrong recorded hash was accepted")
	}
}

func TestNginxReapplyAndRefusedCandidate(t *testing.T) {
	t.Parallel()
	s := startNginx(t)
	sb := s.host.Services.(*bastion.Sandbox)
	pid, changes := sb.PID(ServiceName), s.host.Changes()
	ctx := testenv.Context(t, 30*time.Second)
	res, err := s.d.Apply(ctx, s.in)
	if err != nil || res.Written || res.Action != bastion.Unchanged {
		t.Fatalf("re-apply: %+v, %v, want nothing done", res, err)
	}
	if s.host.Changes() != changes || sb.PID(ServiceName) != pid {
		t.Fatalf("re-apply wrote %d files, pid %d -> %d", s.host.Changes()-changes, pid, sb.PID(ServiceName))
	}
	live, _ := os.ReadFile(s.d.ConfigPath)
	bad := s.in
	bad.User, bad.Group = "okdctl-no-such-user", "okdctl-no-such-group"
	_, err = s.d.Apply(ctx, bad)
	if err == nil || !strings.Contains(err.Error(), "okdctl-no-such-user") || !strings.Contains(err.Error(), "left in place") {
		t.Fatalf("Apply(invalid) = %v, want nginx's complaint and the live file kept", err)
	}
	if now, _ := os.ReadFile(s.d.ConfigPath); string(now) != string(live) || sb.PID(ServiceName) != pid {
		t.Fatal("a refused candidate replaced the live file or restarted nginx")
	}
	writeFile(t, filepath.Join(s.in.WebRoot, "ignition", "m.ign"), []byte("{}"))
	if err := (&Verifier{BaseURL: s.in.BaseURL()}).Files(ctx, []File{{URLPath: "/ignition/m.ign", Local: filepath.Join(s.in.WebRoot, "ignition", "m.ign")}}); err != nil {
		t.Fatal(err)
	}
}
