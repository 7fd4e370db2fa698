package haproxy

import (
	"context"
	"fmt"
)

// RemoveBootstrap drops the bootstrap servers from the API and machine
// config backends once bootstrap has completed: the configuration without
// them is checked, replaced and reloaded like any other (open connections
// finish on the old workers). Running it again changes nothing.
func RemoveBootstrap(ctx context.Context, d *Deployer, in Input) (Result, error) {
	cfg, err := Render(in.WithoutBootstrap())
	if err != nil {
		return Result{}, err
	}
	res, err := d.Apply(ctx, cfg)
	if err != nil {
		return res, fmt.Errorf("failed to remove the bootstrap backends: %w", err)
	}
	return res, nil
}
