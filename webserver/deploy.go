package webserver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/okdctl/okdctl/bastion"
)

// ServiceName is the bastion service that runs nginx.
const ServiceName = "okdctl-nginx"

// Deployer puts an nginx configuration live: check, replace, reload.
type Deployer struct {
	Host *bastion.Host
	// Binary is the nginx program.
	Binary string
	// ConfigPath is the live nginx.conf of okdctl-nginx.
	ConfigPath string
}

// Result says what Apply changed.
type Result struct {
	Written bool
	Action  bastion.Action
}

// Service is the bastion service running the configuration cfg; nginx
// reloads gracefully on SIGHUP.
func (d *Deployer) Service(cfg []byte) bastion.Service {
	sum := sha256.Sum256(cfg)
	return bastion.Service{
		Name:         ServiceName,
		Description:  "okdctl nginx: ignition and CoreOS media for the cluster's nodes",
		Command:      []string{d.Binary, "-c", d.ConfigPath, "-e", "stderr"},
		ReloadSignal: syscall.SIGHUP,
		ConfigDigest: hex.EncodeToString(sum[:]),
	}
}

// Apply renders in, checks it with `nginx -t`, replaces the live file and
// starts or reloads nginx. A failed check changes nothing; a failed start
// or reload puts the previous file back. Applying again does nothing.
func (d *Deployer) Apply(ctx context.Context, in Input) (Result, error) {
	cfg, err := Render(in)
	if err != nil {
		return Result{}, err
	}
	for _, dir := range in.writeDirs() {
		if err := d.Host.Files.MkdirAll(dir, 0o755); err != nil {
			return Result{}, err
		}
	}
	if err := d.check(ctx, in, cfg); err != nil {
		return Result{}, fmt.Errorf("%w\nthe live %s was left in place", err, d.ConfigPath)
	}
	old, err := d.Host.Files.ReadFile(d.ConfigPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Result{}, fmt.Errorf("failed to read %s: %w", d.ConfigPath, err)
	}
	written, err := d.Host.Files.WriteFile(d.ConfigPath, cfg, 0o644)
	if err != nil {
		return Result{}, err
	}
	action, err := d.Host.Services.Ensure(ctx, d.Service(cfg))
	if err != nil {
		return Result{}, d.restore(ctx, old, err)
	}
	return Result{Written: written, Action: action}, nil
}

// check runs `nginx -t` on the candidate. A dry run creates no directory
// on the bastion, so it checks the candidate with its writable paths moved
// to a scratch directory instead.
func (d *Deployer) check(ctx context.Context, in Input, cfg []byte) error {
	if !d.Host.DryRun {
		return Check(ctx, d.Host.Runner, d.Binary, cfg)
	}
	dir, err := os.MkdirTemp("", "okdctl-nginx-check-*")
	if err != nil {
		return fmt.Errorf("failed to check nginx.conf: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := os.Mkdir(in.scratch(dir).TempDir, 0o755); err != nil {
		return fmt.Errorf("failed to check nginx.conf: %w", err)
	}
	scratch, err := Render(in.scratch(dir))
	if err != nil {
		return err
	}
	return Check(ctx, d.Host.Runner, d.Binary, scratch)
}

func (d *Deployer) restore(ctx context.Context, old []byte, cause error) error {
	if old == nil {
		return fmt.Errorf("failed to start nginx: %w", cause)
	}
	if _, err := d.Host.Files.WriteFile(d.ConfigPath, old, 0o644); err != nil {
		return fmt.Errorf("failed to reload nginx: %w; restoring the previous %s also failed: %v", cause, d.ConfigPath, err)
	}
	if _, err := d.Host.Services.Ensure(ctx, d.Service(old)); err != nil {
		return fmt.Errorf("failed to reload nginx: %w; the previous %s is back but did not load: %v", cause, d.ConfigPath, err)
	}
	return fmt.Errorf("failed to reload nginx: %w\nthe previous %s was put back", cause, d.ConfigPath)
}

// Check validates a configuration with `nginx -t` (run even in a dry run);
// the error carries nginx's own output.
func Check(ctx context.Context, runner bastion.Runner, binary string, cfg []byte) error {
	f, err := os.CreateTemp("", "okdctl-nginx-*.conf")
	if err != nil {
		return fmt.Errorf("failed to write the candidate nginx.conf: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(cfg); err != nil {
		f.Close()
		return fmt.Errorf("failed to write the candidate nginx.conf: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("failed to write the candidate nginx.conf: %w", err)
	}
	_, err = runner.Run(ctx, bastion.Cmd{Name: binary, Args: []string{"-t", "-q", "-c", f.Name(), "-e", "stderr"}, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("failed to validate the candidate nginx.conf: %w", err)
	}
	return nil
}
