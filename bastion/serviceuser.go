package bastion

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// EnsureServiceUser creates the system user a service runs as and, when
// dir is given, its data directory owned by it (a real bastion only).
func EnsureServiceUser(ctx context.Context, run Runner, user, dir string) error {
	if _, err := run.Run(ctx, Cmd{Name: "id", Args: []string{"-u", user}, ReadOnly: true}); err != nil {
		if _, err := run.Run(ctx, Cmd{Name: "useradd", Args: []string{"--system", "--no-create-home",
			"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", user}}); err != nil {
			return fmt.Errorf("failed to create the system user %s: %w", user, err)
		}
	}
	if dir == "" {
		return nil
	}
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	if _, err := run.Run(ctx, Cmd{Name: "install", Args: []string{"-d", "-o", user, "-g", user, "-m", "0700", dir}}); err != nil {
		return fmt.Errorf("failed to create %s for %s: %w", dir, user, err)
	}
	return nil
}

// RunnableByAll checks that a program runs for any user: an unprivileged
// service cannot start a binary under /root.
func RunnableByAll(bin string) error {
	fi, err := os.Stat(bin)
	if err != nil {
		return fmt.Errorf("failed to find %s: %w", bin, err)
	}
	bad := fi.Mode().Perm()&0o001 == 0
	for dir := filepath.Dir(bin); !bad && dir != "/"; dir = filepath.Dir(dir) {
		if d, err := os.Stat(dir); err != nil || d.Mode().Perm()&0o001 == 0 {
			bad = true
		}
	}
	if bad {
		return fmt.Errorf("%s cannot be run by the unprivileged user of its service: install it where every user can run it (install -m 0755 %s /usr/local/bin/)", bin, bin)
	}
	return nil
}
