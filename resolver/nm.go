package resolver

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/okdctl/okdctl/bastion"
)

// NetworkManager keeps the cluster's DNS server and routing domain in the
// connection of the bastion's link (dns and dns-search, "~" marking a
// routing domain): with systemd-resolved it is a per-link setting, with
// NetworkManager's own resolv.conf the server is added to it.

func nmFamily(ip string) string {
	if net.ParseIP(ip).To4() == nil {
		return "ipv6"
	}
	return "ipv4"
}

func ensureNM(ctx context.Context, h *bastion.Host, in Input, rec Record) (bool, error) {
	if in.Port != 0 && in.Port != 53 {
		return false, fmt.Errorf("NetworkManager names DNS servers on port 53 only, and spec.bastion.ports.dns is %d: the bastion cannot resolve the cluster through it", in.Port)
	}
	fam := nmFamily(in.IP)
	dns, search, err := nmSettings(ctx, h.Runner, rec.Connection, fam)
	if err != nil {
		return false, err
	}
	var args []string
	if !slices.Contains(dns, in.IP) {
		args = append(args, "+"+fam+".dns", in.IP)
	}
	if !slices.Contains(search, "~"+in.Domain) {
		args = append(args, "+"+fam+".dns-search", "~"+in.Domain)
	}
	if len(args) == 0 {
		return false, nil
	}
	return true, nmModify(ctx, h.Runner, rec, args)
}

func removeNM(ctx context.Context, h *bastion.Host, rec Record) (bool, error) {
	ip, _, err := net.SplitHostPort(rec.Server)
	if err != nil {
		ip = rec.Server
	}
	fam := nmFamily(ip)
	dns, search, err := nmSettings(ctx, h.Runner, rec.Connection, fam)
	if err != nil {
		return false, err
	}
	var args []string
	if slices.Contains(dns, ip) {
		args = append(args, "-"+fam+".dns", ip)
	}
	if slices.Contains(search, "~"+rec.Domain) {
		args = append(args, "-"+fam+".dns-search", "~"+rec.Domain)
	}
	if len(args) == 0 {
		return false, nil
	}
	return true, nmModify(ctx, h.Runner, rec, args)
}

// nmSettings reads the connection's DNS servers and search domains.
func nmSettings(ctx context.Context, run bastion.Runner, uuid, fam string) (dns, search []string, err error) {
	out, err := run.Run(ctx, bastion.Cmd{Name: "nmcli", Args: []string{"-g", fam + ".dns," + fam + ".dns-search", "connection", "show", uuid}, ReadOnly: true})
	if err != nil {
		return nil, nil, fmt.Errorf("failed to read NetworkManager's connection %s: %w", uuid, err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	split := func(i int) []string {
		if i >= len(lines) || strings.TrimSpace(lines[i]) == "" {
			return nil
		}
		return strings.Split(strings.TrimSpace(lines[i]), ",")
	}
	return split(0), split(1), nil
}

// nmModify changes the connection and applies it to the running device.
func nmModify(ctx context.Context, run bastion.Runner, rec Record, args []string) error {
	if _, err := run.Run(ctx, bastion.Cmd{Name: "nmcli", Args: append([]string{"connection", "modify", rec.Connection}, args...)}); err != nil {
		return fmt.Errorf("failed to change NetworkManager's connection %s: %w", rec.Connection, err)
	}
	if _, err := run.Run(ctx, bastion.Cmd{Name: "nmcli", Args: []string{"device", "reapply", rec.Link}}); err != nil {
		return fmt.Errorf("failed to apply NetworkManager's connection to %s: %w", rec.Link, err)
	}
	return nil
}
