package registry

import (
	"path/filepath"
	"testing"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/golden"
	"github.com/okdctl/okdctl/internal/testenv"
)

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		root    string
		ip      string
		runtime Runtime
	}{
		{"sandbox", "/home/me/.demo", "127.0.1.1", Runtime{Kind: RuntimeBinary, Program: "/usr/bin/docker-registry"}},
		{"bastion-podman", "", "192.168.120.101", Runtime{Kind: RuntimePodman, Program: "/usr/bin/podman", Image: DefaultImage}},
		{"bastion-binary", "", "192.168.120.101", Runtime{Kind: RuntimeBinary, Program: "/usr/local/bin/registry"}},
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
			in := ServiceInput{Runtime: c.runtime, Config: l.Config, Files: []string{l.Cert, l.Key, l.Htpasswd},
				DataDir: l.DataDir, ConfigDigest: "digest", Port: 5000, CertFile: l.Cert, KeyFile: l.Key, HtpasswdFile: l.Htpasswd}
			if c.root == "" {
				in.User = "registry"
			}
			svc := Service(in)
			unit := bastion.RenderUnit(svc)
			golden.Assert(t, filepath.Join("testdata", c.name, ServiceName+".service.golden"), unit)
			systemdVerify(t, unit, c.runtime.Kind == RuntimePodman || c.root != "")
		})
	}
}

// systemdVerify checks a unit with systemd-analyze verify (programs
// missing on this machine, such as podman, are the only complaints
// tolerated) and its exposure; podman's unit is not confined.
func systemdVerify(t *testing.T, unit []byte, unconfined bool) {
	t.Helper()
	testenv.VerifyUnit(t, ServiceName, unit, unconfined, "is not executable")
}
