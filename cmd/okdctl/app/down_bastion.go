package app

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/okdctl/okdctl/installer"
)

// downBastion is `okdctl down -f cluster.yaml` on a real bastion: it
// undoes what apply did to the host and keeps okdctl's state unless
// --purge (which asks first, or needs --yes).
func downBastion(cmd *cobra.Command, f *specFlags, purge, yes bool) error {
	rc, err := f.dayTwo(cmd, "down")
	if err != nil {
		return err
	}
	if purge && !yes {
		ask := terminalConfirm(cmd)
		if ask == nil {
			return errors.New("down --purge deletes okdctl's state (CA, registry password), the install directory and the mirror: pass --yes to confirm from a script")
		}
		ok, err := ask(fmt.Sprintf("okdctl down --purge deletes %s, %s and the mirrored images of %s for good.", rc.StateDir(), rc.InstallDir(), rc.Cluster().ClusterDomain()))
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("down --purge cancelled: nothing was changed")
		}
	}
	lock, err := installer.AcquireLock(rc.StateDir())
	if err != nil {
		return err
	}
	defer lock.Release()
	done, err := installer.Teardown(cmd.Context(), rc, installer.TeardownOptions{Purge: purge})
	for _, line := range done {
		fmt.Fprintln(cmd.OutOrStdout(), f.withFlags(line))
	}
	return err
}
