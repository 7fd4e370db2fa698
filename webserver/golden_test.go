package webserver

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/golden"
	"github.com/okdctl/okdctl/internal/testenv"
)

// goldenCases mirror a real bastion (lab) and a sandbox run under --root.
func goldenCases() map[string]Input {
	return map[string]Input{
		"lab": {BindIP: "192.168.120.101", Port: 8080, WebRoot: "/usr/share/nginx/okdctl/okd",
			PidFile: "/run/okdctl-nginx.pid", AccessLog: "/var/log/okdctl/nginx-access.log",
			TempDir: "/var/cache/okdctl-nginx", User: "www-data", Group: "www-data"},
		"sandbox": {BindIP: "127.0.1.1", Port: 18088, WebRoot: "/srv/okdctl-demo/usr/share/nginx/okdctl/sandbox",
			PidFile: "/srv/okdctl-demo/run/okdctl-nginx.pid", AccessLog: "/srv/okdctl-demo/var/log/okdctl/nginx-access.log",
			TempDir: "/srv/okdctl-demo/var/cache/okdctl-nginx"},
		"ipv6": {BindIP: "fd00:10::1", Port: 8080, WebRoot: "/usr/share/nginx/okdctl/six",
			PidFile: "/run/okdctl-nginx.pid", AccessLog: "/var/log/okdctl/nginx-access.log",
			TempDir: "/var/cache/okdctl-nginx", User: "nobody", Group: "nogroup"},
	}
}

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	bin := testenv.Binary(t, "nginx")
	for name, in := range goldenCases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := Render(in)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", name, "nginx.conf.golden")
			golden.Assert(t, path, got)
			// nginx -t opens the pid file, creates the temp paths and binds
			// the listener: check the same rendering with those moved to a
			// scratch directory and a spare loopback port (as a plan does).
			dir := t.TempDir()
			loc := in.scratch(dir)
			if err := os.Mkdir(loc.TempDir, 0o755); err != nil {
				t.Fatal(err)
			}
			scratch, _ := Render(loc)
			if err := Check(context.Background(), bastion.ExecRunner{}, bin, scratch); err != nil {
				t.Fatalf("nginx -t refuses %s: %v", path, err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		mutate func(*Input)
		want   string
	}{
		"bad bind":      {func(in *Input) { in.BindIP = "bastion" }, `bind address "bastion"`},
		"bad port":      {func(in *Input) { in.Port = 0 }, "port 0"},
		"relative root": {func(in *Input) { in.WebRoot = "www" }, `web root "www"`},
		"quote in path": {func(in *Input) { in.TempDir = "/tmp/a;b" }, `temp directory "/tmp/a;b"`},
		"user no group": {func(in *Input) { in.Group = "" }, "must both be set"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := goldenCases()["lab"]
			c.mutate(&in)
			if _, err := Render(in); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Render error = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestMediaName(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		"/srv/images/fedora-coreos-metal.x86_64.raw.xz":                  "fedora-coreos-metal.x86_64.raw.xz",
		"images/rootfs.img":                                              "rootfs.img",
		"https://builds.example/prod/fedora-coreos-live-kernel?x=1#frag": "fedora-coreos-live-kernel",
	} {
		if got := MediaName(src); got != want {
			t.Errorf("MediaName(%q) = %q, want %q", src, got, want)
		}
	}
}
