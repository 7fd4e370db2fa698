package verify

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// firewalld checks that a running firewalld allows the bastion services'
// ports (a firewalld started after okdctl opened them allows none).
func (b *BastionInput) firewalld(ctx context.Context) Result {
	r := Result{Area: areaBastion, Check: "firewalld allows " + strings.Join(b.FirewalldPorts, " "), Required: true}
	path, err := exec.LookPath("firewall-cmd")
	if err != nil {
		r.Status, r.Required, r.Detail = Skipped, false, "firewall-cmd not found: no firewalld"
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--list-ports").Output()
	if err != nil {
		r.Status, r.Required, r.Detail = Skipped, false, "firewalld is not running"
		return r
	}
	open := strings.Fields(string(out))
	var closed []string
	for _, p := range b.FirewalldPorts {
		if !slices.Contains(open, p) {
			closed = append(closed, p)
		}
	}
	if len(closed) > 0 {
		r.Status, r.Detail = Fail, fmt.Sprintf("closed: %s", strings.Join(closed, " "))
		r.Fix = "okdctl apply (its preflight opens them), or firewall-cmd --permanent --add-port=PORT and firewall-cmd --add-port=PORT for each"
		return r
	}
	r.Status, r.Detail = Pass, "open: "+strings.Join(b.FirewalldPorts, " ")
	return r
}
