package app

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/installer/day2"
)

func newApproveCSRs() *cobra.Command {
	var f specFlags
	var watch, install bool
	cmd := &cobra.Command{
		Use:   "approve-csrs -f cluster.yaml [--watch]",
		Short: "Approve the kubelet CSRs of the spec's nodes, after checking every field; nothing else",
		Long: `approve-csrs is the approve phase's verifying approver on its own, for day 2.
It approves a kubelet's client CSR only from the node bootstrapper for a
spec node that has not joined, and a serving CSR only from that node for its
own name and address; it never denies, and logs why it skips the rest.
Without --watch it handles what is pending and exits; with --watch it runs
until stopped. --install-service runs it as the okdctl-approver service
(systemd unit, or a sandbox process with --sandbox) for serving-certificate
renewals on bare metal.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rc, err := f.dayTwo(cmd, "")
			if err != nil {
				return err
			}
			if install {
				return installApprover(cmd, rc)
			}
			return day2.ApproveCSRs(cmd.Context(), rc, watch)
		},
	}
	f.register(cmd, withRoot|withSandbox|withKubeconfig)
	cmd.Flags().BoolVar(&watch, "watch", false, "keep approving as CSRs come, until stopped")
	cmd.Flags().BoolVar(&install, "install-service", false, "run approve-csrs --watch as the okdctl-approver service")
	return cmd
}

// installApprover starts (or updates) the okdctl-approver service.
func installApprover(cmd *cobra.Command, rc *installer.RunContext) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("failed to find the okdctl binary: %w", err)
	}
	kubeconfig, err := filepath.Abs(rc.Kubeconfig())
	if err != nil {
		return err
	}
	action, err := rc.Host().Services.Ensure(cmd.Context(), installer.ApproverService(rc.Cluster(), exe, kubeconfig))
	if err != nil {
		return fmt.Errorf("failed to start %s: %w", installer.ApproverServiceName, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", installer.ApproverServiceName, action)
	return nil
}
