package app

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/ignition"
	"github.com/okdctl/okdctl/installer"
)

func newBoot() *cobra.Command {
	var f specFlags
	var output string
	cmd := &cobra.Command{
		Use:   "boot [NODE] -f cluster.yaml [-o text|json|ipxe|pxe|grub|iso-customize]",
		Short: "Boot parameters of every node (or one) for USB / PXE installs",
		Long: `Prints each node's boot line for the live media's boot prompt and the
equivalent coreos-installer command, or the node list as JSON, an iPXE
script, pxelinux configs, GRUB entries, or (iso-customize) a script that
makes each node a live ISO installing itself with its ignition and static
network (coreos-installer ` + "`iso customize`" + `). It needs only the spec, so it
works on a laptop; once okdctl apply has made the ignition (found under
--root), the coreos-installer commands carry --ignition-hash.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.load()
			if err != nil {
				return err
			}
			root, err := f.rootDir()
			if err != nil {
				return err
			}
			if f.logFormat == "json" && !cmd.Flags().Changed("output") {
				output = ignition.FormatJSON
			}
			o := installer.BootOptions{Format: output, StateDir: bastion.Paths{Root: root}.StateDir(c.Metadata.Name)}
			if len(args) == 1 {
				o.Node = args[0]
			}
			if _, err := os.Stat(installer.StateFile(o.StateDir)); root != "" && err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: no okdctl state under --root %s (%s does not exist): is it the --root okdctl apply used? The lines below come from the spec alone, without --ignition-hash\n", f.root, installer.StateFile(o.StateDir))
			}
			if _, err := installer.ReadIgnitionHashes(o.StateDir); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: %v: the coreos-installer commands carry no --ignition-hash\n", err)
				o.StateDir = ""
			}
			out, err := installer.BootOutput(c, o)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	f.register(cmd, 0)
	cmd.Flags().StringVar(&f.root, "root", "", "the --root of okdctl apply, to find the ignition hashes")
	cmd.Flags().StringVarP(&output, "output", "o", ignition.FormatText, strings.Join(ignition.Formats, ", "))
	return cmd
}
