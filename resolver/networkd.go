package resolver

import (
	"context"
	"fmt"

	"github.com/okdctl/okdctl/bastion"
)

// networkdDropIn gives the bastion's link okdctl's DNS for the cluster's
// domain only (a routing domain): systemd-resolved sends every other name
// where it sent it before, and the setting survives reboots.
func networkdDropIn(in Input) []byte {
	return []byte(fmt.Sprintf(`# Written by okdctl: this bastion resolves the cluster %s through okdctl's DNS.
# okdctl down removes it.
[Network]
DNS=%s
Domains=~%s
`, in.Domain, in.server(), in.Domain))
}

func ensureNetworkd(ctx context.Context, h *bastion.Host, in Input, rec Record) (bool, error) {
	changed, err := h.Files.WriteFile(rec.File, networkdDropIn(in), 0o644)
	if err != nil || !changed {
		return changed, err
	}
	return true, networkdApply(ctx, h.Runner, rec.Link)
}

func removeNetworkd(ctx context.Context, h *bastion.Host, rec Record) (bool, error) {
	removed, err := h.Files.Remove(rec.File)
	if err != nil || !removed {
		return removed, err
	}
	return true, networkdApply(ctx, h.Runner, rec.Link)
}

// networkdApply re-reads the .network files and applies them to link.
func networkdApply(ctx context.Context, run bastion.Runner, link string) error {
	if _, err := run.Run(ctx, bastion.Cmd{Name: "networkctl", Args: []string{"reload"}}); err != nil {
		return fmt.Errorf("failed to reload systemd-networkd: %w", err)
	}
	if _, err := run.Run(ctx, bastion.Cmd{Name: "networkctl", Args: []string{"reconfigure", link}}); err != nil {
		return fmt.Errorf("failed to reconfigure %s: %w", link, err)
	}
	return nil
}

// resolvedDropIn gives systemd-resolved okdctl's DNS for the cluster's
// domain as a global routing domain: used when the bastion's link has DNS
// servers of its own (they keep every other name) or no manager okdctl
// knows.
func resolvedDropIn(in Input) []byte {
	return []byte(fmt.Sprintf(`# Written by okdctl: this bastion resolves the cluster %s through okdctl's DNS.
# okdctl down removes it.
[Resolve]
DNS=%s
Domains=~%s
`, in.Domain, in.server(), in.Domain))
}

func ensureResolvedGlobal(ctx context.Context, h *bastion.Host, in Input, rec Record) (bool, error) {
	changed, err := h.Files.WriteFile(rec.File, resolvedDropIn(in), 0o644)
	if err != nil || !changed {
		return changed, err
	}
	return true, restartResolved(ctx, h.Runner)
}

func removeResolvedGlobal(ctx context.Context, h *bastion.Host, rec Record) (bool, error) {
	removed, err := h.Files.Remove(rec.File)
	if err != nil || !removed {
		return removed, err
	}
	return true, restartResolved(ctx, h.Runner)
}

func restartResolved(ctx context.Context, run bastion.Runner) error {
	if _, err := run.Run(ctx, bastion.Cmd{Name: "systemctl", Args: []string{"restart", "systemd-resolved.service"}}); err != nil {
		return fmt.Errorf("failed to restart systemd-resolved: %w", err)
	}
	return nil
}
