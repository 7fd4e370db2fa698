package resolver

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/bastion"
)

// fakeHost answers the read-only commands of a host whose resolver is
// managed one way, and records the commands that would change it.
type fakeHost struct {
	answers map[string]string // command line -> output; missing: command fails
	ran     []string
}

func (f *fakeHost) Run(_ context.Context, c bastion.Cmd) ([]byte, error) {
	line := c.Line()
	if !c.ReadOnly {
		f.ran = append(f.ran, line)
		return nil, nil
	}
	out, ok := f.answers[line]
	if !ok {
		return nil, errors.New("not here")
	}
	return []byte(out), nil
}

func (f *fakeHost) take() []string {
	ran := f.ran
	f.ran = nil
	return ran
}

func newHost(t *testing.T, resolvConf string, stub bool, answers map[string]string) (*bastion.Host, *fakeHost, Input) {
	t.Helper()
	root := t.TempDir()
	etc := filepath.Join(root, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	if stub {
		if err := os.Symlink("../run/systemd/resolve/stub-resolv.conf", filepath.Join(etc, "resolv.conf")); err != nil {
			t.Fatal(err)
		}
	} else if err := os.WriteFile(filepath.Join(etc, "resolv.conf"), []byte(resolvConf), 0o644); err != nil {
		t.Fatal(err)
	}
	run := &fakeHost{answers: answers}
	paths := bastion.Paths{Root: root}
	h := &bastion.Host{Paths: paths, Files: &bastion.DiskFiles{}, Runner: run}
	in := Input{Cluster: "okd", Domain: "okd.example", IP: "192.168.120.101", Port: 53, Link: "eth0",
		RecordPath: paths.Path("/var/lib/okdctl/okd/resolver.json"), AskUnderRoot: true}
	return h, run, in
}

func ensure(t *testing.T, h *bastion.Host, in Input) Result {
	t.Helper()
	res, err := Ensure(context.Background(), h, in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func remove(t *testing.T, h *bastion.Host, in Input) bool {
	t.Helper()
	changed, err := Remove(context.Background(), h, in)
	if err != nil {
		t.Fatal(err)
	}
	return changed
}

func wantRan(t *testing.T, f *fakeHost, want ...string) {
	t.Helper()
	if got := f.take(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("commands\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestResolvConf: no resolver manager: okdctl's block goes first, the
// rest of the file stays, a re-run writes nothing, Remove restores the
// file byte for byte and a second Remove changes nothing.
func TestResolvConf(t *testing.T) {
	t.Parallel()
	orig := "# the site's resolvers\nsearch corp.example\nnameserver 10.0.0.1\n"
	h, run, in := newHost(t, orig, false, nil)
	res := ensure(t, h, in)
	path := h.Paths.Path("/etc/resolv.conf")
	want := "# okdctl okd.example: okdctl's DNS for the cluster (okdctl down removes this block)\nnameserver 192.168.120.101\n# okdctl end\n" + orig
	if !res.Changed || res.Method != ResolvConf || readFile(t, path) != want {
		t.Fatalf("result %+v, resolv.conf:\n%s", res, readFile(t, path))
	}
	if !InPlace(context.Background(), h, in) {
		t.Error("InPlace false after Ensure")
	}
	if res := ensure(t, h, in); res.Changed {
		t.Error("a second Ensure changed something")
	}
	wantRan(t, run)
	if !remove(t, h, in) || readFile(t, path) != orig {
		t.Fatalf("after Remove:\n%s", readFile(t, path))
	}
	if remove(t, h, in) {
		t.Error("a second Remove changed something")
	}
	if InPlace(context.Background(), h, in) {
		t.Error("InPlace true after Remove")
	}
}

// TestNetworkdLink: systemd-resolved with a networkd link that has no DNS
// servers of its own: a drop-in for the link's .network file (wherever
// that lives, e.g. netplan's under /run), applied with networkctl.
func TestNetworkdLink(t *testing.T) {
	t.Parallel()
	h, run, in := newHost(t, "", true, map[string]string{
		"networkctl status --no-pager --lines=0 eth0": "● 2: eth0\n    Link File: n/a\n Network File: /run/systemd/network/10-netplan-eth0.network\n   State: routable (configured)\n",
		"resolvectl dns eth0":                         "Link 2 (eth0):\n",
	})
	res := ensure(t, h, in)
	dropIn := h.Paths.Path("/etc/systemd/network/10-netplan-eth0.network.d/okdctl-okd.conf")
	if res.Method != Networkd || res.File != dropIn || !res.Changed {
		t.Fatalf("result %+v", res)
	}
	if got := readFile(t, dropIn); !strings.Contains(got, "[Network]\nDNS=192.168.120.101\nDomains=~okd.example\n") {
		t.Errorf("drop-in:\n%s", got)
	}
	wantRan(t, run, "networkctl reload", "networkctl reconfigure eth0")
	// okdctl's own server on the link is not "its own DNS"
	run.answers["resolvectl dns eth0"] = "Link 2 (eth0): 192.168.120.101\n"
	if res := ensure(t, h, in); res.Changed || !InPlace(context.Background(), h, in) {
		t.Errorf("re-run: %+v", res)
	}
	wantRan(t, run)
	if !remove(t, h, in) {
		t.Fatal("Remove changed nothing")
	}
	if _, err := os.Stat(dropIn); !os.IsNotExist(err) {
		t.Errorf("drop-in left: %v", err)
	}
	wantRan(t, run, "networkctl reload", "networkctl reconfigure eth0")
	if remove(t, h, in) {
		t.Error("a second Remove changed something")
	}
	wantRan(t, run)
}

// TestResolvedGlobal: the link has DNS servers of its own (DHCP): they
// keep every other name, and the cluster's domain is a global routing
// domain; switching from an earlier resolv.conf block removes the block.
func TestResolvedGlobal(t *testing.T) {
	t.Parallel()
	h, run, in := newHost(t, "", true, map[string]string{
		"networkctl status --no-pager --lines=0 eth0": "Network File: /etc/systemd/network/eth0.network\n",
		"resolvectl dns eth0":                         "Link 2 (eth0): 10.0.0.1 fd00::1\n",
	})
	res := ensure(t, h, in)
	conf := h.Paths.Path("/etc/systemd/resolved.conf.d/okdctl-okd.conf")
	if res.Method != ResolvedGlobal || res.File != conf || !strings.Contains(readFile(t, conf), "[Resolve]\nDNS=192.168.120.101\nDomains=~okd.example\n") {
		t.Fatalf("result %+v", res)
	}
	wantRan(t, run, "systemctl restart systemd-resolved.service")
	if res := ensure(t, h, in); res.Changed {
		t.Error("re-run changed something")
	}
	if !remove(t, h, in) {
		t.Error("Remove changed nothing")
	}
	wantRan(t, run, "systemctl restart systemd-resolved.service")
}

// TestNetworkManager: NetworkManager's connection gets the server and the
// routing domain (added to what it has, removed exactly on Remove).
func TestNetworkManager(t *testing.T) {
	t.Parallel()
	show := "nmcli -g ipv4.dns,ipv4.dns-search connection show 6b1f"
	h, run, in := newHost(t, "# Generated by NetworkManager\nnameserver 10.0.0.1\n", false, map[string]string{
		"nmcli -g GENERAL.CON-UUID device show eth0": "6b1f\n",
		show: "10.0.0.1\ncorp.example\n",
	})
	res := ensure(t, h, in)
	if res.Method != NetworkManager || res.Connection != "6b1f" || !res.Changed {
		t.Fatalf("result %+v", res)
	}
	wantRan(t, run, "nmcli connection modify 6b1f +ipv4.dns 192.168.120.101 +ipv4.dns-search ~okd.example", "nmcli device reapply eth0")
	run.answers[show] = "10.0.0.1,192.168.120.101\ncorp.example,~okd.example\n"
	if res := ensure(t, h, in); res.Changed || !InPlace(context.Background(), h, in) {
		t.Errorf("re-run: %+v", res)
	}
	wantRan(t, run)
	remove(t, h, in)
	wantRan(t, run, "nmcli connection modify 6b1f -ipv4.dns 192.168.120.101 -ipv4.dns-search ~okd.example", "nmcli device reapply eth0")
}

// TestPortNot53: resolv.conf cannot name a port: a clear error, nothing written.
func TestPortNot53(t *testing.T) {
	t.Parallel()
	h, _, in := newHost(t, "nameserver 10.0.0.1\n", false, nil)
	in.Port = 5353
	_, err := Ensure(context.Background(), h, in)
	if err == nil || !strings.Contains(err.Error(), "spec.bastion.ports.dns is 5353") {
		t.Fatalf("error %v", err)
	}
	if got := readFile(t, h.Paths.Path("/etc/resolv.conf")); got != "nameserver 10.0.0.1\n" {
		t.Errorf("resolv.conf changed:\n%s", got)
	}
}
