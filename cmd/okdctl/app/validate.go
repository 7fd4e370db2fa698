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
			msg := fmt.Sprintf("%s is valid: cluster %s, release %s, %d nodes", f.file, c.ClusterDomain(), releaseString(c), len(c.Spec.Nodes))
			if f.logFormat == "json" {
				printJSONEvent(cmd.OutOrStdout(), msg, map[string]any{"file": f.file, "cluster": c.ClusterDomain(),
					"release": releaseString(c), "nodes": len(c.Spec.Nodes)})
				return nil
			}
			fmt.Fprintln(cmd.OutOrStdout(), msg)
			return nil
		},
	}
	f.register(cmd, 0)
	return cmd
}

func releaseString(c *spec.Cluster) string {
	v, err := c.ReleaseVersion()
	if err != nil {
		return "unknown"
	}
	return v.String()
}
