package bastion

import (
	"context"
	"fmt"
)

// EnsureSystemUser creates the system user name (no home, no login) when
// it does not exist: each bastion service runs as its own user.
func EnsureSystemUser(ctx context.Context, run Runner, name string) error {
	if _, err := run.Run(ctx, Cmd{Name: "id", Args: []string{"-u", name}, ReadOnly: true}); err == nil {
		return nil
	}
	if _, err := run.Run(ctx, Cmd{Name: "useradd", Args: []string{"--system", "--no-create-home",
		"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name}}); err != nil {
		return fmt.Errorf("failed to create the system user %s: %w", name, err)
	}
	return nil
}
