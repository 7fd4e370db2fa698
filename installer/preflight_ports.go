package installer

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/okdctl/okdctl/bastion"
)

// busyPort says which program holds a bastion port (program, PID and
// systemd unit, read from /proc) and the command that stops it; okdctl
// never stops anything itself.
func busyPort(field, ip string, port int, udp bool, bindErr error) string {
	addr := net.JoinHostPort(ip, strconv.Itoa(port))
	holders := portHolders(net.ParseIP(ip), port, udp)
	if len(holders) == 0 {
		return fmt.Sprintf("%s: %s is in use by another program (%v): stop it or choose another port", field, addr, errors.Unwrap(bindErr))
	}
	var names, hints []string
	for _, h := range holders {
		names = append(names, h.String())
		if hint := h.StopHint(); !slices.Contains(hints, hint) {
			hints = append(hints, hint)
		}
	}
	return fmt.Sprintf("%s: %s is in use by %s: stop it (`%s`; okdctl stops nothing itself) or choose another port",
		field, addr, strings.Join(names, ", "), strings.Join(hints, "; "))
}

// portHolders are the first holders of ip:port over TCP and, for DNS, UDP:
// one per unit (a master and its workers share the socket).
func portHolders(ip net.IP, port int, udp bool) []bastion.PortHolder {
	found, _ := bastion.FindPortHolders("/proc", ip, port, false)
	if udp {
		u, _ := bastion.FindPortHolders("/proc", ip, port, true)
		found = append(found, u...)
	}
	var out []bastion.PortHolder
	seen := map[string]bool{}
	for _, h := range found {
		key := h.Unit
		if key == "" {
			key = h.Program
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, h)
		}
	}
	return out
}
