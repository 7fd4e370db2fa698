package installer

import (
	"context"
	"fmt"
	"os"

	"github.com/okdctl/okdctl/bastion"
)

// RegistryUser runs the registry on a real bastion.
const RegistryUser = "registry"

// registryDataDir holds the mirrored images. On a real bastion it lies
// outside the state directory (mode 0700, root's), since the registry runs
// as its own user; systemd owns it to that user (StateDirectory=).
func registryDataDir(rc *RunContext) string {
	if rc.Sandbox() {
		return rc.StatePath("registry-data")
	}
	return rc.Path("/var/lib/okdctl-registry", rc.Cluster().Metadata.Name)
}

// moveRegistryData moves a mirror kept in the state directory by an older
// okdctl (whose registry ran as root) to registryDataDir, so nothing is
// mirrored twice.
func moveRegistryData(ctx context.Context, rc *RunContext) error {
	old, dir := rc.StatePath("registry-data"), registryDataDir(rc)
	if old == dir {
		return nil
	}
	if _, err := os.Stat(old); err != nil {
		return nil
	}
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := rc.Host().Files.MkdirAll(rc.Path("/var/lib/okdctl-registry"), 0o755); err != nil {
		return err
	}
	if _, err := rc.Host().Runner.Run(ctx, bastion.Cmd{Name: "mv", Args: []string{old, dir}}); err != nil {
		return fmt.Errorf("failed to move the registry's data to %s: %w", dir, err)
	}
	rc.Log().Infof("moved the registry's data from %s to %s (the registry now runs as user %s)", old, dir, RegistryUser)
	return nil
}
