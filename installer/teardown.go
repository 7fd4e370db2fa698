package installer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/okdctl/okdctl/dnsrecords"
	"github.com/okdctl/okdctl/haproxy"
	"github.com/okdctl/okdctl/pxe"
	"github.com/okdctl/okdctl/registry"
	"github.com/okdctl/okdctl/resolver"
	"github.com/okdctl/okdctl/webserver"
)

// TeardownOptions shape `okdctl down` on a real bastion.
type TeardownOptions struct {
	// Purge also deletes okdctl's state (CA, password, ...), the install
	// directory, the mirrored images, the web root and the backups.
	Purge bool
}

// Teardown undoes on a real bastion what apply did to it: okdctl's units
// stopped and disabled, the firewalld ports and SELinux port labels okdctl
// added removed, okdctl's CA out of the trust store and the resolver as it
// was. It keeps the state, CA, password, install directory and backups
// (unless Purge), so that apply converges again. A second Teardown changes
// nothing. It returns what it did, one line each.
func Teardown(ctx context.Context, rc *RunContext, o TeardownOptions) ([]string, error) {
	t := &teardown{rc: rc, h: hostRunner{ctx: ctx, run: rc.Host().Runner}}
	steps := []func(context.Context) error{t.units, t.firewalld, t.selinux, t.trust, t.resolver}
	if o.Purge {
		steps = append(steps, t.selinuxBooleans, t.purge)
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return t.done, err
		}
	}
	if !o.Purge {
		marked, err := MarkStopped(rc.StateDir(), rc.Cluster().Metadata.Name)
		if err != nil {
			return t.done, err
		}
		if len(marked) > 0 {
			t.did("marked the phases %s stopped in %s: okdctl apply runs them again", strings.Join(marked, ", "), StateFile(rc.StateDir()))
		}
		t.done = append(t.done, "kept "+strings.Join(t.kept(), ", ")+" (okdctl down --purge deletes them)")
	}
	return t.done, nil
}

type teardown struct {
	rc   *RunContext
	h    hostRunner
	done []string
}

func (t *teardown) did(format string, args ...any) {
	t.done = append(t.done, fmt.Sprintf(format, args...))
}

// sharedServices serve every cluster of the bastion (one etcd, one CoreDNS).
var sharedServices = []string{dnsrecords.CoreDNSServiceName, dnsrecords.EtcdServiceName}

// units stops and disables okdctl's units, the last started first; the
// DNS services only when no other cluster of this bastion needs them.
func (t *teardown) units(ctx context.Context) error {
	names := []string{pxe.ServiceName, ApproverServiceName, webserver.ServiceName, haproxy.ServiceName, registry.ServiceName}
	if others := t.otherClusters(); len(others) == 0 {
		names = append(names, sharedServices...)
	} else {
		t.did("kept %s running: the clusters %s use them", strings.Join(sharedServices, " and "), strings.Join(others, ", "))
	}
	for _, name := range names {
		unit := name + ".service"
		active := t.h.query("systemctl", "is-active", unit) == "active"
		enabled := t.h.query("systemctl", "is-enabled", unit) == "enabled"
		if !active && !enabled {
			continue
		}
		if err := t.h.do("systemctl", "disable", "--now", unit); err != nil {
			return fmt.Errorf("failed to stop %s: %w", unit, err)
		}
		t.did("stopped and disabled %s", unit)
	}
	return nil
}

// otherClusters are the other clusters whose state this bastion keeps.
func (t *teardown) otherClusters() []string {
	var out []string
	entries, _ := os.ReadDir(t.rc.Path("/var/lib/okdctl"))
	for _, e := range entries {
		if e.Name() == t.rc.Cluster().Metadata.Name {
			continue
		}
		if _, err := os.Stat(filepath.Join(t.rc.Path("/var/lib/okdctl"), e.Name(), "state.json")); err == nil {
			out = append(out, e.Name())
		}
	}
	return out
}

// firewalld closes the ports okdctl opened (never one the bastion had),
// permanently and at runtime (no reload: the site's runtime-only rules
// stay), in each zone it opened them in.
func (t *teardown) firewalld(ctx context.Context) error {
	c, err := readHostChanges(t.rc)
	if err != nil {
		return err
	}
	for i, z := range c.Firewalld {
		f := firewalld{h: t.h, zone: z.Zone}
		running, runtime := f.open()
		if !running {
			t.did("firewalld is not running: the ports okdctl opened (%s) stay in its permanent configuration; start it and run okdctl down again to close them", strings.Join(portsIn(c.Firewalld[i:]), " "))
			return nil
		}
		if err := t.closeZone(f, runtime, z.Ports); err != nil {
			return err
		}
		if err := recordHostChange(t.rc, func(c *hostChanges) {
			c.Firewalld = slices.DeleteFunc(c.Firewalld, func(r zonePorts) bool { return r.Zone == z.Zone })
		}); err != nil {
			return err
		}
	}
	return nil
}

// closeZone closes okdctl's ports in f's zone, where runtime are the ports
// open now.
func (t *teardown) closeZone(f firewalld, runtime, ports []string) error {
	permanent := strings.Fields(t.h.query("firewall-cmd", f.cmd("--permanent", "--list-ports")...))
	var closed []string
	for _, set := range []struct {
		args []string
		open []string
	}{{[]string{"--permanent"}, permanent}, {nil, runtime}} {
		args := set.args
		for _, p := range ports {
			if slices.Contains(set.open, p) {
				args = append(args, "--remove-port="+p)
				if !slices.Contains(closed, p) {
					closed = append(closed, p)
				}
			}
		}
		if len(args) > len(set.args) {
			if err := t.h.do("firewall-cmd", f.cmd(args...)...); err != nil {
				return fmt.Errorf("failed to close okdctl's ports in firewalld's %s: %w", f.zoneName(), err)
			}
		}
	}
	if len(closed) > 0 {
		slices.Sort(closed)
		t.did("firewalld: closed %s%s", strings.Join(closed, " "), f.inZone())
	}
	return nil
}

// selinux removes the http_port_t labels okdctl added.
func (t *teardown) selinux(ctx context.Context) error {
	c, err := readHostChanges(t.rc)
	if err != nil || len(c.SELinuxHTTPPorts) == 0 {
		return err
	}
	for _, p := range c.SELinuxHTTPPorts {
		if err := t.h.do("semanage", "port", "-d", "-t", "http_port_t", "-p", "tcp", strconv.Itoa(p)); err != nil {
			return fmt.Errorf("failed to remove the SELinux label okdctl gave port %d/tcp: %w", p, err)
		}
		t.did("SELinux: port %d/tcp is no longer labelled http_port_t", p)
	}
	return recordHostChange(t.rc, func(c *hostChanges) { c.SELinuxHTTPPorts = nil })
}

// selinuxBooleans switches off the SELinux booleans okdctl switched on
// (down --purge only: they open nothing by themselves, and the next apply
// needs them again).
func (t *teardown) selinuxBooleans(ctx context.Context) error {
	c, err := readHostChanges(t.rc)
	if err != nil || len(c.SELinuxBooleans) == 0 {
		return err
	}
	for _, b := range c.SELinuxBooleans {
		if err := t.h.do("setsebool", "-P", b+"=0"); err != nil {
			return fmt.Errorf("failed to switch the SELinux boolean %s back off: %w", b, err)
		}
		t.did("SELinux: %s=0 again (okdctl had switched it on)", b)
	}
	return recordHostChange(t.rc, func(c *hostChanges) { c.SELinuxBooleans = nil })
}

// trust takes okdctl's CA out of the system trust store.
func (t *teardown) trust(ctx context.Context) error {
	ts, err := registry.DetectTrustStore(t.rc.Host().Paths, "okdctl-"+t.rc.Cluster().Metadata.Name+"-ca")
	if err != nil {
		return nil // no trust store: nothing of okdctl's in it
	}
	if t.rc.Host().Paths.Root != "" {
		ts.Update = nil
	}
	removed, err := registry.RemoveTrust(ctx, t.rc.Host(), ts)
	if err != nil {
		return err
	}
	if removed {
		t.did("took okdctl's CA out of the trust store (%s)", ts.Anchor)
	}
	return nil
}

// resolver puts the bastion's resolver back as it was.
func (t *teardown) resolver(ctx context.Context) error {
	in := resolverInput(t.rc)
	rec, _ := resolver.ReadRecord(t.rc.Host(), in.RecordPath)
	changed, err := resolver.Remove(ctx, t.rc.Host(), in)
	if err != nil {
		return fmt.Errorf("failed to restore the bastion's resolver: %w", err)
	}
	if changed {
		how := "resolv.conf"
		if rec != nil {
			how = rec.Method
		}
		t.did("the bastion's resolver no longer sends %s to okdctl's DNS (%s)", in.Domain, how)
	}
	return nil
}

// kept are the paths down leaves for the next apply.
func (t *teardown) kept() []string {
	return []string{"state and CA " + t.rc.StateDir(), "install directory " + t.rc.InstallDir(),
		"mirror " + registryDataDir(t.rc), "backups " + t.rc.Path("/var/lib/okdctl/backups")}
}

// purge deletes what down otherwise keeps; the backups and okdctl's unit
// files only when no other cluster lives on this bastion.
func (t *teardown) purge(ctx context.Context) error {
	dirs := []string{t.rc.StateDir(), t.rc.InstallDir(), registryDataDir(t.rc), t.rc.WebRoot()}
	if len(t.otherClusters()) == 0 {
		dirs = append(dirs, t.rc.Path("/var/lib/okdctl/backups"))
	}
	for _, dir := range dirs {
		if _, err := os.Lstat(dir); err != nil {
			continue
		}
		if err := t.rc.Host().Wet(ctx, "delete "+dir, "", func(context.Context) error { return os.RemoveAll(dir) }); err != nil {
			return fmt.Errorf("failed to delete %s: %w", dir, err)
		}
		t.did("deleted %s", dir)
	}
	return nil
}
