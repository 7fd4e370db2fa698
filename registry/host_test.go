package registry

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/bastion"
)

// cmdLog records commands instead of running them.
type cmdLog struct{ lines []string }

func (c *cmdLog) Run(ctx context.Context, cmd bastion.Cmd) ([]byte, error) {
	c.lines = append(c.lines, cmd.Line())
	return nil, nil
}

func TestTrustStore(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ distro, dir, update string }{
		{"rhel", "/etc/pki/ca-trust/source/anchors", "update-ca-trust extract"},
		{"debian", "/usr/local/share/ca-certificates", "update-ca-certificates"},
	} {
		t.Run(c.distro, func(t *testing.T) {
			root := t.TempDir()
			paths := bastion.Paths{Root: root}
			if err := os.MkdirAll(paths.Path(c.dir), 0o755); err != nil {
				t.Fatal(err)
			}
			ts, err := DetectTrustStore(paths, "okdctl-okd-ca")
			if err != nil {
				t.Fatal(err)
			}
			if ts.Anchor != paths.Path(c.dir, "okdctl-okd-ca.crt") || strings.Join(ts.Update, " ") != c.update {
				t.Fatalf("%s trust store %+v", c.distro, ts)
			}
			runner := &cmdLog{}
			h := &bastion.Host{Paths: paths, Files: &bastion.DiskFiles{}, Runner: runner}
			ca, _ := testPKI(t)
			for i, want := range []int{1, 1, 2} {
				if i == 2 { // the bundle lacks the CA: rebuild it even though the anchor is unchanged
					_ = os.Remove(ts.Bundle)
				} else if i == 1 { // the update ran: the bundle holds the CA now
					_ = os.MkdirAll(filepath.Dir(ts.Bundle), 0o755)
					_ = os.WriteFile(ts.Bundle, ca.CertPEM, 0o644)
				}
				if _, err := InstallTrust(context.Background(), h, ts, ca.CertPEM); err != nil {
					t.Fatal(err)
				}
				if len(runner.lines) != want {
					t.Errorf("after run %d: commands %v", i+1, runner.lines)
				}
			}
			if got, _ := os.ReadFile(ts.Anchor); string(got) != string(ca.CertPEM) {
				t.Error("the anchor is not the CA")
			}
		})
	}
}
