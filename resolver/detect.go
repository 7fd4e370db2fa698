package resolver

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/okdctl/okdctl/bastion"
)

// Detect finds how the bastion's resolver is managed and what Ensure
// would write. Its commands only read.
func Detect(ctx context.Context, h *bastion.Host, in Input) (Record, error) {
	rec := Record{Domain: in.Domain, Server: in.server(), Link: in.Link}
	if rec.Link == "" {
		rec.Link = LinkOf(in.IP)
	}
	resolvConf := h.Paths.Path("/etc/resolv.conf")
	if h.Paths.Root != "" && !in.AskUnderRoot {
		// a relocated root: its resolv.conf, and nothing asked of the host
		rec.Method, rec.File = ResolvConf, resolvConf
		return rec, nil
	}
	target, _ := os.Readlink(resolvConf)
	uuid := nmConnection(ctx, h.Runner, rec.Link)
	if strings.Contains(target, "systemd/resolve") {
		file := networkdFile(ctx, h.Runner, rec.Link)
		ownDNS := linkHasOtherDNS(ctx, h.Runner, rec.Link, in)
		switch {
		case file != "" && !ownDNS:
			rec.Method = Networkd
			rec.File = h.Paths.Path("/etc/systemd/network", filepath.Base(file)+".d", "okdctl-"+in.Cluster+".conf")
		case uuid != "" && !ownDNS:
			rec.Method, rec.Connection = NetworkManager, uuid
		default:
			// the link's own DNS servers would share the cluster's routing
			// domain (and lose their default route): a global routing domain
			rec.Method, rec.Link = ResolvedGlobal, ""
			rec.File = h.Paths.Path("/etc/systemd/resolved.conf.d", "okdctl-"+in.Cluster+".conf")
		}
		return rec, nil
	}
	if uuid != "" {
		if data, _ := os.ReadFile(resolvConf); strings.Contains(string(data), "NetworkManager") {
			rec.Method, rec.Connection = NetworkManager, uuid
			return rec, nil
		}
	}
	rec.Method, rec.File = ResolvConf, resolvConf
	return rec, nil
}

// LinkOf is the interface holding ip ("" when none does).
func LinkOf(ip string) string {
	want := net.ParseIP(ip)
	ifaces, _ := net.Interfaces()
	for _, iface := range ifaces {
		addrs, _ := iface.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(want) {
				return iface.Name
			}
		}
	}
	return ""
}

// networkdFile is the .network file systemd-networkd applies to link
// ("" when networkd does not manage it, or does not run).
func networkdFile(ctx context.Context, run bastion.Runner, link string) string {
	if link == "" {
		return ""
	}
	out, err := run.Run(ctx, bastion.Cmd{Name: "networkctl", Args: []string{"status", "--no-pager", "--lines=0", link}, ReadOnly: true})
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && k == "Network File" {
			if v = strings.TrimSpace(v); strings.HasSuffix(v, ".network") {
				return v
			}
		}
	}
	return ""
}

// linkHasOtherDNS reports whether systemd-resolved knows DNS servers on
// link other than okdctl's (from networkd, DHCP or NetworkManager):
// `resolvectl dns LINK` prints "Link 3 (eth0): 10.0.0.1 10.0.0.2".
func linkHasOtherDNS(ctx context.Context, run bastion.Runner, link string, in Input) bool {
	if link == "" {
		return false
	}
	out, err := run.Run(ctx, bastion.Cmd{Name: "resolvectl", Args: []string{"dns", link}, ReadOnly: true})
	if err != nil {
		return false
	}
	_, servers, _ := strings.Cut(string(out), "):")
	for _, s := range strings.Fields(servers) {
		if s != in.IP && s != in.server() {
			return true
		}
	}
	return false
}

// nmConnection is the UUID of NetworkManager's active connection on link
// ("" when NetworkManager does not manage it, or does not run).
func nmConnection(ctx context.Context, run bastion.Runner, link string) string {
	if link == "" {
		return ""
	}
	out, err := run.Run(ctx, bastion.Cmd{Name: "nmcli", Args: []string{"-g", "GENERAL.CON-UUID", "device", "show", link}, ReadOnly: true})
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
