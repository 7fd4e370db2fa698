package verify

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/okdctl/okdctl/bastion"
)

// firewalld checks that a running firewalld allows the bastion services'
// ports in the zone of the bastion's link (a firewalld started after
// okdctl opened them allows none). It asks over D-Bus, as apply does.
func (b *BastionInput) firewalld(ctx context.Context) Result {
	zone, zoneFlag := "the default zone", ""
	if b.FirewalldZone != "" {
		zone, zoneFlag = "zone "+b.FirewalldZone, " --zone="+b.FirewalldZone
	}
	r := Result{Area: areaBastion, Check: "firewalld allows " + strings.Join(b.FirewalldPorts, " "), Required: true}
	path, err := exec.LookPath("busctl")
	if err != nil {
		r.Status, r.Required, r.Detail = Skipped, false, "busctl not found: no systemd, so no firewalld to ask"
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, bastion.FirewalldCall("getPorts", b.FirewalldZone)...).Output()
	if err != nil {
		r.Status, r.Required, r.Detail = Skipped, false, "firewalld is not running"
		return r
	}
	open, err := bastion.ParseFirewalldPorts(out)
	if err != nil {
		r.Status, r.Detail = Fail, fmt.Sprintf("firewalld's answer for %s could not be read: %v", zone, err)
		return r
	}
	var closed []string
	for _, p := range b.FirewalldPorts {
		if !slices.Contains(open, p) {
			closed = append(closed, p)
		}
	}
	if len(closed) > 0 {
		r.Status, r.Detail = Fail, fmt.Sprintf("closed in %s: %s", zone, strings.Join(closed, " "))
		r.Fix = fmt.Sprintf("okdctl apply (its preflight opens them), or firewall-cmd%s --permanent --add-port=PORT and firewall-cmd%s --add-port=PORT for each", zoneFlag, zoneFlag)
		return r
	}
	r.Status, r.Detail = Pass, fmt.Sprintf("open in %s: %s", zone, strings.Join(b.FirewalldPorts, " "))
	return r
}
