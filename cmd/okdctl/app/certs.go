package app

import (
	"encoding/json"
	"errors"
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
	var allowUnreachable bool
	cmd := &cobra.Command{
		Use:   "certs -f cluster.yaml [--warn 30d] [-o text|json]",
		Short: "Every certificate okdctl knows, by urgency, and the pending CSRs with the approver's verdict",
		Long: `certs reports the registry CA and server certificate, ignition's
certificates against the 12 h / 24 h rules, the admin kubeconfig's, the
API server's, the machine config server's and the ingress's (read by TLS
handshake through the bastion), and the kubelets' (from their CSRs and
their :10250), with days left, most urgent first. Then it lists the
pending CSRs with what okdctl's verifying approver would do with each.
It exits 1 when a certificate expires within --warn (or ignition is stale),
and when something could not be checked (the cluster or an endpoint did not
answer, a certificate could not be read, or nothing at all was checked):
the report lists those under "could not be checked". --allow-unreachable
exits 0 for those (a bastion before install, say).`,
		Example: `  okdctl certs -f cluster.yaml
  okdctl certs -f cluster.yaml --warn 7d -o json
  okdctl certs -f examples/sandbox.yaml --root .demo --allow-unreachable`,
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
				return f.suggesting(err)
			}
			rep := day2.Certificates(cmd.Context(), rc, day2.CertsOptions{Warn: threshold})
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else if _, err := cmd.OutOrStdout().Write([]byte(f.withFlags(string(rep.Text())))); err != nil {
				return err
			}
			if n := len(rep.Flagged()); n > 0 {
				return errFlagged{n}
			}
			if allowUnreachable {
				return nil
			}
			if rep.Checked() == 0 {
				return errors.New("no certificate could be checked (see above): pass --allow-unreachable to exit 0 all the same")
			}
			if n := len(rep.Unreachable()); n > 0 {
				return fmt.Errorf("%d thing(s) could not be checked (listed above): pass --allow-unreachable to exit 0 all the same", n)
			}
			return nil
		},
	}
	f.register(cmd, withRoot|withKubeconfig)
	cmd.Flags().StringVar(&warn, "warn", "30d", "flag certificates expiring within this (30d, 12h, 1d12h)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	cmd.Flags().BoolVar(&allowUnreachable, "allow-unreachable", false, "exit 0 when some things could not be checked (the report still lists them)")
	return cmd
}
