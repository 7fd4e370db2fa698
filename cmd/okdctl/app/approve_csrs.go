package app

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/spec"
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
			c, err := f.load()
			if err != nil {
				return err
			}
			if err := f.check(); err != nil {
				return err
			}
			log := installer.NewLogger(installer.LoggerOptions{Out: cmd.OutOrStdout(), JSON: f.logFormat == "json"})
			kc := f.kubeconfig
			if kc == "" {
				kc = filepath.Join(c.Spec.InstallDir, "auth", "kubeconfig")
			}
			root, err := f.rootDir()
			if err != nil {
				return err
			}
			if install {
				return installApprover(cmd, c, root, f.sandbox, kc)
			}
			st, _ := installer.LoadState(bastion.Paths{Root: root}.StateDir(c.Metadata.Name), c.Metadata.Name)
			return installer.ApproveCSRs(cmd.Context(), c, installer.ApproveOptions{Kubeconfig: kc, State: st, Watch: watch, Log: log})
		},
	}
	f.register(cmd, true)
	cmd.Flags().BoolVar(&watch, "watch", false, "keep approving as CSRs come, until stopped")
	cmd.Flags().BoolVar(&install, "install-service", false, "run approve-csrs --watch as the okdctl-approver service")
	return cmd
}

// installApprover starts (or updates) the okdctl-approver service.
func installApprover(cmd *cobra.Command, c *spec.Cluster, root string, sandbox bool, kubeconfig string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("failed to find the okdctl binary: %w", err)
	}
	if kubeconfig, err = filepath.Abs(kubeconfig); err != nil {
		return err
	}
	host := bastion.NewHost(bastion.HostOptions{Root: root, Sandbox: sandbox})
	action, err := host.Services.Ensure(cmd.Context(), installer.ApproverService(c, exe, kubeconfig))
	if err != nil {
		return fmt.Errorf("failed to start %s: %w", installer.ApproverServiceName, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", installer.ApproverServiceName, action)
	return nil
}
