package app

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/okdctl/okdctl/bastion"
)

func newDown() *cobra.Command {
	var f specFlags
	cmd := &cobra.Command{
		Use:   "down -f cluster.yaml --root DIR",
		Short: "Stop every bastion service a sandbox run started",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.root == "" {
				return errors.New("down needs --root DIR, the directory the sandbox run used")
			}
			if f.file != "" {
				if _, err := f.load(); err != nil {
					return err
				}
			}
			root, err := f.rootDir()
			if err != nil {
				return err
			}
			sb := &bastion.Sandbox{Paths: bastion.Paths{Root: root}}
			stopped, err := sb.StopAll(cmd.Context())
			for _, name := range stopped {
				fmt.Fprintf(cmd.OutOrStdout(), "stopped %s\n", name)
			}
			if err != nil {
				return err
			}
			if len(stopped) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "nothing runs under %s\n", root)
			}
			return nil
		},
	}
	f.register(cmd, true)
	return cmd
}
