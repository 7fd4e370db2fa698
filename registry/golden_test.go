package registry

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/golden"
)

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		root   string
		ip     string
		okdctl string
	}{
		{"sandbox", "/home/me/.demo", "127.0.1.1", "/home/me/okdctl/bin/okdctl"},
		{"bastion", "", "192.168.120.101", "/usr/local/bin/okdctl"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			l := layoutUnder(c.root)
			if c.root == "" {
				l = layoutUnder("/")
			}
			cfg, err := RenderConfig(Config{Addr: c.ip + ":5000", CertFile: l.Cert, KeyFile: l.Key, HtpasswdFile: l.Htpasswd, DataDir: l.DataDir})
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join("testdata", c.name, "config.yml.golden"), cfg)
			svc := Service(ServiceInput{Okdctl: c.okdctl, Config: l.Config, ConfigDigest: "digest"})
			unit := bastion.RenderUnit(svc)
			golden.Assert(t, filepath.Join("testdata", c.name, ServiceName+".service.golden"), unit)
			systemdVerify(t, unit)
		})
	}
}

// systemdVerify checks a unit with systemd-analyze; programs missing on
// this machine (podman) are the only complaints tolerated.
func systemdVerify(t *testing.T, unit []byte) {
	t.Helper()
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatalf("systemd-analyze is needed (apt-get install systemd): %v", err)
	}
	path := filepath.Join(t.TempDir(), ServiceName+".service")
	if err := os.WriteFile(path, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(sa, "verify", path).CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, ServiceName+".service:") && !strings.Contains(line, "is not executable") &&
			!strings.Contains(line, "No such file") {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
}
