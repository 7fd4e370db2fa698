package app

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/installer/day2"
)

func newAddNode() *cobra.Command {
	var f specFlags
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "add-node NODE -f cluster.yaml",
		Short: "Add a worker the spec gained to the running cluster, until it is Ready",
		Long: `add-node is day 2: first add the worker to spec.nodes (name, role worker,
ip, nic, disk), then run add-node with its name. It re-runs what the node
list feeds: the dns phase (its A and PTR records), the loadbalancer phase
(its ingress backend, checked with haproxy -c before the reload), its
ignition, built from the running cluster's worker ignition
(openshift-machine-api/worker-user-data-managed, or the install
directory's worker.ign while its CA is valid) with its hostname and static
network, published with its sha512, the http phase (every published file
verified) and the boot phase. It prints the node's boot line, then approves
the node's CSRs (verified against the spec) until it is Ready.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.load()
			if err != nil {
				return err
			}
			r, err := f.runner(c, cmd.OutOrStdout(), dryRun)
			if err != nil {
				return err
			}
			var plan strings.Builder
			if dryRun {
				r.Log = installer.NewLogger(installer.LoggerOptions{Out: &plan})
			}
			sum, err := day2.AddNode(cmd.Context(), r, args[0], day2.AddNodeOptions{})
			if dryRun && sum != nil {
				printAddNodePlan(cmd.OutOrStdout(), r, sum, args[0])
				return nil
			}
			return err
		},
	}
	f.register(cmd, withRoot|withSandbox|withKubeconfig)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would be done, touching nothing")
	return cmd
}

// printAddNodePlan prints what each phase of add-node would do.
func printAddNodePlan(out io.Writer, r *installer.Runner, sum *installer.Summary, node string) {
	for i, res := range sum.Results {
		fmt.Fprintf(out, "[%d/%d] %s: ", i+1, len(sum.Results), res.Phase)
		printOutcome(out, res, false, r.Log.Mask)
	}
	fmt.Fprintf(out, "then: print the boot line of %s and approve its CSRs until it is Ready. Nothing was changed.\n", node)
}
