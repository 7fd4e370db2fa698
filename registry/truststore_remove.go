package registry

import (
	"context"
	"fmt"

	"github.com/okdctl/okdctl/bastion"
)

// RemoveTrust takes okdctl's CA out of the trust store (its anchor file,
// then the bundle rebuilt); it reports whether anything changed. The CA
// itself stays in okdctl's state.
func RemoveTrust(ctx context.Context, h *bastion.Host, ts *TrustStore) (bool, error) {
	removed, err := h.Files.Remove(ts.Anchor)
	if err != nil {
		return false, fmt.Errorf("failed to take the CA out of the trust store: %w", err)
	}
	if !removed || len(ts.Update) == 0 {
		return removed, nil
	}
	args := ts.Update[1:]
	if ts.Update[0] == "update-ca-certificates" {
		// without --fresh Debian keeps the removed anchor's /etc/ssl/certs link
		args = append([]string{"--fresh"}, args...)
	}
	if _, err := h.Runner.Run(ctx, bastion.Cmd{Name: ts.Update[0], Args: args}); err != nil {
		return true, fmt.Errorf("failed to update the trust store: %w", err)
	}
	return true, nil
}
