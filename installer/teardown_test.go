package installer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/spec"
)

// mutationsOK answers read-only commands from a table and lets every
// other command succeed, recording it.
type mutationsOK struct {
	answers map[string]string
	changed []string
}

func (m *mutationsOK) Run(_ context.Context, c bastion.Cmd) ([]byte, error) {
	line := strings.Join(append([]string{c.Name}, c.Args...), " ")
	if !c.ReadOnly {
		m.changed = append(m.changed, line)
		return nil, nil
	}
	if out, ok := m.answers[line]; ok {
		return []byte(out + "\n"), nil
	}
	return nil, &bastion.CommandError{Line: line, Err: os.ErrNotExist}
}

// TestTeardown runs down on a bastion (commands faked, files real under a
// root) where okdctl left units running, firewalld ports and an SELinux
// label, its CA and a resolv.conf block; another cluster's state keeps the
// shared DNS services. Down removes exactly what okdctl added, keeps the
// state, and a second down changes nothing.
func TestTeardown(t *testing.T) {
	t.Parallel()
	c, err := spec.LoadFile(filepath.Join("..", "examples", "lab.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	h := bastion.NewHost(bastion.HostOptions{Root: t.TempDir()})
	run := &mutationsOK{answers: map[string]string{
		"systemctl is-active okdctl-haproxy.service": "active", "systemctl is-enabled okdctl-haproxy.service": "enabled",
		"systemctl is-enabled okdctl-nginx.service": "enabled", "systemctl is-active okdctl-etcd.service": "active",
		// the user closed 8080 already; 80 is open permanently and at runtime
		busctlKey: busctlPorts("22/tcp 80/tcp"), "firewall-cmd --permanent --list-ports": "22/tcp 80/tcp",
	}}
	h.Runner = run
	rc := &RunContext{cluster: c, host: h, log: NewLogger(LoggerOptions{}), phase: "down"}
	write := func(path, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(rc.StatePath(FileHostAccess), `{"firewalldPorts": ["80/tcp", "8080/tcp"], "selinuxHTTPPorts": [8080]}`)
	write(rc.StatePath("state.json"), "{}")
	write(rc.StatePath(FileCACert), "CA")
	write(rc.Path("/var/lib/okdctl/other/state.json"), "{}")
	anchor := rc.Path("/usr/local/share/ca-certificates/okdctl-okd-ca.crt")
	write(anchor, "CA")
	resolvConf := rc.Path("/etc/resolv.conf")
	write(resolvConf, "# okdctl okd.example: okdctl's DNS for the cluster (okdctl down removes this block)\nnameserver 192.168.120.101\n# okdctl end\nnameserver 10.0.0.1\n")

	done, err := Teardown(context.Background(), rc, TeardownOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantLines(t, done, []string{
		"kept okdctl-coredns and okdctl-etcd running: the clusters other use them",
		"stopped and disabled okdctl-nginx.service",
		"stopped and disabled okdctl-haproxy.service",
		"firewalld: closed 80/tcp",
		"SELinux: port 8080/tcp is no longer labelled http_port_t",
		"took okdctl's CA out of the trust store (" + anchor + ")",
		"the bastion's resolver no longer sends okd.example to okdctl's DNS (resolv.conf)",
		"kept state and CA " + rc.StateDir() + ", install directory " + rc.InstallDir() + ", mirror " + registryDataDir(rc) + ", backups " + rc.Path("/var/lib/okdctl/backups") + " (okdctl down --purge deletes them)",
	})
	wantLines(t, run.changed, []string{
		"systemctl disable --now okdctl-nginx.service", "systemctl disable --now okdctl-haproxy.service",
		"firewall-cmd --permanent --remove-port=80/tcp", "firewall-cmd --remove-port=80/tcp",
		"semanage port -d -t http_port_t -p tcp 8080",
	})
	if data, _ := os.ReadFile(resolvConf); string(data) != "nameserver 10.0.0.1\n" {
		t.Errorf("resolv.conf:\n%s", data)
	}
	for _, kept := range []string{rc.StatePath(FileCACert), rc.StatePath("state.json")} {
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("down removed %s: %v", kept, err)
		}
	}

	// the units are down, the ports closed: a second down changes nothing
	run.changed = nil
	run.answers = map[string]string{busctlKey: busctlPorts("22/tcp"), "systemctl is-active okdctl-etcd.service": "active"}
	done, err = Teardown(context.Background(), rc, TeardownOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.changed) != 0 || len(done) != 2 {
		t.Errorf("second down: ran %q, said %q", run.changed, done)
	}
}

func wantLines(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
