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
		name   string
		root   string
		ip     string
		okdctl string
		user   string
	}{
		{"sandbox", "/home/me/.demo", "127.0.1.1", "/home/me/okdctl/bin/okdctl", ""},
		{"bastion", "", "192.168.120.101", "/usr/local/bin/okdctl", "registry"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			l := layoutUnder(c.root)
			if c.root == "" {
				l = layoutUnder("/")
			}
			conf := Config{Addr: c.ip + ":5000", CertFile: l.Cert, KeyFile: l.Key, HtpasswdFile: l.Htpasswd, DataDir: l.DataDir}
			if c.user != "" {
				l.DataDir = "/var/lib/okdctl-registry/okd"
				conf.CertFile, conf.KeyFile, conf.HtpasswdFile = CredentialPath(CredCert), CredentialPath(CredKey), CredentialPath(CredHtpasswd)
				conf.DataDir = l.DataDir
			}
			cfg, err := RenderConfig(conf)
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join("testdata", c.name, "config.yml.golden"), cfg)
			svc := Service(ServiceInput{Okdctl: c.okdctl, Config: l.Config, ConfigDigest: "digest", User: c.user, Port: 5000,
				CertFile: l.Cert, KeyFile: l.Key, HtpasswdFile: l.Htpasswd, DataDir: l.DataDir})
			unit := bastion.RenderUnit(svc)
			golden.Assert(t, filepath.Join("testdata", c.name, ServiceName+".service.golden"), unit)
			// the sandbox's unit is never installed: only the bastion's is scored
			testenv.VerifyUnit(t, ServiceName, unit, c.user == "")
		})
	}
}
