package app

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/okdctl/okdctl/installer/day2"
)

// errFlagged makes okdctl certs exit 1 after printing its report.
type errFlagged struct{ n int }

func (e errFlagged) Error() string {
	return fmt.Sprintf("%d certificate(s) expire within the threshold or must not be used (listed first above)", e.n)
}

func newCerts() *cobra.Command {
	var f specFlags
	var warn, output string
	cmd := &cobra.Command{
		Use:   "certs -f cluster.yaml [--warn 30d] [-o text|json]",
		Short: "Every certificate okdctl knows, by urgency, and the pending CSRs with the approver's verdict",
		Long: `certs reports the registry CA and server certificate, ignition's
certificates against the 12 h / 24 h rules, the admin kubeconfig's, the
API server's, the machine config server's and the ingress's (read by TLS
handshake through the bastion), and the kubelets' (from their CSRs and
their :10250), with days left, most urgent first. Then it lists the
pending CSRs with what okdctl's verifying approver would do with each.
It exits 1 when a certificate expires within --warn (or ignition is stale).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			threshold, err := day2.ParseWarn(warn)
			if err != nil {
				return err
			}
			if output != "text" && output != "json" {
				return fmt.Errorf("-o %q is not known: use text or json", output)
			}
			rc, err := f.dayTwo(cmd, "certs")
			if err != nil {
				return err
			}
			rep := day2.Certificates(cmd.Context(), rc, day2.CertsOptions{Warn: threshold})
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else if _, err := cmd.OutOrStdout().Write(rep.Text()); err != nil {
				return err
			}
			if n := len(rep.Flagged()); n > 0 {
				return errFlagged{n}
			}
			return nil
		},
	}
	f.register(cmd, withRoot|withKubeconfig)
	cmd.Flags().StringVar(&warn, "warn", "30d", "flag certificates expiring within this (30d, 12h, 1d12h)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}
