package installer

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/okdctl/okdctl/bastion"
)

// hostAccess is what a real bastion's firewalld and SELinux must allow for
// one service. okdctl opens exactly that and never disables either (the
// hand procedure turned both off). The sandbox leaves the host alone.
type hostAccess struct {
	What string
	// Ports are TCP ports opened in firewalld's default zone.
	Ports []int
	// Booleans are SELinux booleans switched on (persistently).
	Booleans []string
	// HTTPPorts are ports nginx (httpd_t) binds: labelled http_port_t
	// unless the policy already allows them.
	HTTPPorts []int
}

func (a hostAccess) String() string {
	var parts []string
	if len(a.Ports) > 0 {
		parts = append(parts, "firewalld ports "+tcpPorts(a.Ports))
	}
	for _, b := range a.Booleans {
		parts = append(parts, "SELinux boolean "+b+"=1")
	}
	if len(a.HTTPPorts) > 0 {
		parts = append(parts, "SELinux http_port_t for "+tcpPorts(a.HTTPPorts))
	}
	return strings.Join(parts, ", ")
}

func tcpPorts(ports []int) string {
	var s []string
	for _, p := range ports {
		s = append(s, strconv.Itoa(p)+"/tcp")
	}
	return strings.Join(s, " ")
}

// ensureHostAccess opens a's ports when firewalld runs and sets a's
// SELinux booleans and port labels when SELinux enforces. Every query is
// read-only, so a plan shows exactly the commands an apply would run.
func ensureHostAccess(ctx context.Context, rc *RunContext, a hostAccess) error {
	if rc.Sandbox() {
		rc.Host().Note(fmt.Sprintf("sandbox: firewalld and SELinux are left alone (a real bastion gets, for %s: %s)", a.What, a))
		return nil
	}
	h := hostRunner{ctx: ctx, run: rc.Host().Runner}
	var ports []string
	for _, p := range a.Ports {
		ports = append(ports, strconv.Itoa(p)+"/tcp")
	}
	f := bastionFirewalld(ctx, rc)
	if _, closed := f.closed(ports); len(closed) > 0 {
		if err := f.openPorts(rc, closed); err != nil {
			return err
		}
	}
	if h.query("getenforce") != "Enforcing" {
		return nil
	}
	for _, b := range a.Booleans {
		if err := h.setBoolean(rc, b); err != nil {
			return err
		}
	}
	return h.labelHTTPPorts(rc, a.HTTPPorts)
}

type hostRunner struct {
	ctx context.Context
	run bastion.Runner
}

// query runs a read-only command and returns its trimmed output ("" on failure).
func (h hostRunner) query(name string, args ...string) string {
	out, err := h.run.Run(h.ctx, bastion.Cmd{Name: name, Args: args, ReadOnly: true})
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func (h hostRunner) do(name string, args ...string) error {
	_, err := h.run.Run(h.ctx, bastion.Cmd{Name: name, Args: args})
	return err
}

func (h hostRunner) setBoolean(rc *RunContext, name string) error {
	if strings.HasSuffix(h.query("getsebool", name), "--> on") {
		return nil
	}
	if err := h.do("setsebool", "-P", name+"=1"); err != nil {
		return fmt.Errorf("failed to set the SELinux boolean %s: %w", name, err)
	}
	// okdctl switched it on: down --purge switches it off again
	if err := recordHostChange(rc, func(c *hostChanges) { c.SELinuxBooleans = append(c.SELinuxBooleans, name) }); err != nil {
		return err
	}
	rc.Log().Infof("SELinux: %s=1 (SELinux stays enforcing)", name)
	return nil
}

// labelHTTPPorts lets nginx bind ports outside http_port_t and
// http_cache_port_t (8080 is in the latter on Fedora/RHEL).
func (h hostRunner) labelHTTPPorts(rc *RunContext, ports []int) error {
	if len(ports) == 0 {
		return nil
	}
	listing := h.query("semanage", "port", "-l")
	if listing == "" {
		rc.Log().Warnf("semanage is not installed: if nginx cannot bind %s, run: semanage port -a -t http_port_t -p tcp PORT (package policycoreutils-python-utils)", tcpPorts(ports))
		return nil
	}
	allowed := selinuxPorts(listing, "http_port_t", "http_cache_port_t")
	for _, p := range ports {
		if allowed(p) {
			continue
		}
		port := strconv.Itoa(p)
		if err := h.do("semanage", "port", "-a", "-t", "http_port_t", "-p", "tcp", port); err != nil {
			// the port had another type: relabelled, and left so by down
			if err := h.do("semanage", "port", "-m", "-t", "http_port_t", "-p", "tcp", port); err != nil {
				return fmt.Errorf("failed to let nginx bind port %d under SELinux: %w", p, err)
			}
		} else if err := recordHostChange(rc, func(c *hostChanges) { c.SELinuxHTTPPorts = append(c.SELinuxHTTPPorts, p) }); err != nil {
			return err
		}
		rc.Log().Infof("SELinux: port %d/tcp labelled http_port_t for nginx", p)
	}
	return nil
}

// selinuxPorts reads `semanage port -l` lines such as
// "http_port_t  tcp  8008, 8009, 80, 81, 443" and reports whether a port
// belongs to one of the types.
func selinuxPorts(listing string, types ...string) func(int) bool {
	var ranges [][2]int
	for _, line := range strings.Split(listing, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || !slices.Contains(types, f[0]) || f[1] != "tcp" {
			continue
		}
		for _, item := range strings.Split(strings.Join(f[2:], ""), ",") {
			lo, hi, isRange := strings.Cut(item, "-")
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if !isRange {
				b, err2 = a, nil
			}
			if err1 == nil && err2 == nil {
				ranges = append(ranges, [2]int{a, b})
			}
		}
	}
	return func(p int) bool {
		for _, r := range ranges {
			if p >= r[0] && p <= r[1] {
				return true
			}
		}
		return false
	}
}
