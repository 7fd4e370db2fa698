package verify

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/registry"
)

// TestRegistry: okdctl's registry (distribution, run by registry.Ensure in
// a sandbox) passes; verified against another CA only the TLS line fails.
func TestRegistry(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	st := filepath.Join(root, "state")
	h := bastion.NewHost(bastion.HostOptions{Root: root, Sandbox: true})
	in := registry.Input{Cluster: "vt.okd.test", Name: "registry.vt.okd.test", IP: "127.0.0.1",
		Port: testenv.FreePort(t, "127.0.0.1"), User: "admin",
		Layout: registry.Layout{CACert: filepath.Join(st, "ca.crt"), CAKey: filepath.Join(st, "ca.key"),
			Cert: filepath.Join(st, "registry.crt"), Key: filepath.Join(st, "registry.key"),
			Password: filepath.Join(st, "password"), Htpasswd: filepath.Join(st, "htpasswd"),
			PullSecret: filepath.Join(st, "pull-secret.json"), Config: filepath.Join(root, "config.yml"),
			DataDir: filepath.Join(st, "data")},
		Okdctl: testenv.Okdctl(t)}
	t.Cleanup(func() { _ = h.Services.Stop(context.Background(), registry.ServiceName) })
	if _, err := registry.Ensure(testenv.Context(t, time.Minute), h, in); err != nil {
		t.Fatal(err)
	}
	ca, _ := os.ReadFile(in.Layout.CACert)
	pass, _ := os.ReadFile(in.Layout.Password)
	e := registry.Endpoint{Name: in.Name, IP: in.IP, Port: in.Port, CACert: ca, User: "admin", Password: strings.TrimSpace(string(pass))}
	rep := Run(context.Background(), Input{Registry: &RegistryInput{Endpoint: e}})
	onlyFailing(t, rep)
	if rep.Counts()[NotYet] != 1 { // nothing mirrored
		t.Errorf("want the release check not yet: %+v", rep.Results)
	}

	other, err := registry.NewCA("another CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	e.CACert = other.CertPEM
	onlyFailing(t, Run(context.Background(), Input{Registry: &RegistryInput{Endpoint: e, Release: "okd/release@sha256:" + strings.Repeat("0", 64)}}), "TLS of")

	e.CACert = ca
	onlyFailing(t, Run(context.Background(), Input{Registry: &RegistryInput{Endpoint: e, Release: "x/okd/release@sha256:" + strings.Repeat("0", 64)}}), "mirrored release")
}
