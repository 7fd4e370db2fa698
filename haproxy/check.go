package haproxy

import (
	"context"
	"fmt"
	"os"

	"github.com/okdctl/okdctl/bastion"
)

// Check validates a candidate configuration with `haproxy -c -f` without
// binding anything. The candidate goes to a scratch file outside the
// bastion's tree, so that a dry run checks it too; the error carries
// HAProxy's own output.
func Check(ctx context.Context, runner bastion.Runner, binary string, cfg []byte) error {
	f, err := os.CreateTemp("", "okdctl-haproxy-*.cfg")
	if err != nil {
		return fmt.Errorf("failed to write the candidate haproxy.cfg: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(cfg); err != nil {
		f.Close()
		return fmt.Errorf("failed to write the candidate haproxy.cfg: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("failed to write the candidate haproxy.cfg: %w", err)
	}
	_, err = runner.Run(ctx, bastion.Cmd{Name: binary, Args: []string{"-c", "-f", f.Name()}, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("failed to validate the candidate haproxy.cfg: %w", err)
	}
	return nil
}
