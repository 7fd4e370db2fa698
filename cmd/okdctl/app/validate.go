package app

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/okdctl/okdctl/spec"
)

func newValidate() *cobra.Command {
	var f specFlags
	cmd := &cobra.Command{
		Use:   "validate -f cluster.yaml",
		Short: "Check a cluster spec and report every problem at once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.load()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is valid: cluster %s, release %s, %d nodes\n",
				f.file, c.ClusterDomain(), releaseString(c), len(c.Spec.Nodes))
			return nil
		},
	}
	f.register(cmd, false)
	return cmd
}

func releaseString(c *spec.Cluster) string {
	v, err := c.ReleaseVersion()
	if err != nil {
		return "unknown"
	}
	return v.String()
}
