package day2

import (
	"context"

	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/installer/cluster"
)

// ApproveCSRs is the approve phase's verifying approver on its own (okdctl
// approve-csrs), for day 2: nodes renewing serving certificates, or added
// later to the spec. Without watch it handles what is pending and returns;
// with watch it keeps approving until ctx ends.
func ApproveCSRs(ctx context.Context, rc *installer.RunContext, watch bool) error {
	a, err := installer.NewApprover(rc)
	if err != nil {
		return err
	}
	if watch {
		rc.Log().Infof("approving the CSRs of %d spec nodes as they come; stop with Ctrl-C", len(installer.NodeInventory(rc.Cluster())))
		return a.Run(ctx, cluster.WatchOptions{})
	}
	if err := a.Once(ctx); err != nil {
		return err
	}
	rc.Log().Infof("%d CSRs approved, %d left pending (reasons above)", a.Approved(), len(a.Skipped()))
	return nil
}
