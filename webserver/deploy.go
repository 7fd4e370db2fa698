package webserver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
	// User runs nginx on a real bastion, confined by systemd, with
	// Capabilities (CAP_NET_BIND_SERVICE for a port below 1024) and
	// writing only WritePaths (the pid file's, access log's and temp
	// directories); empty in a sandbox.
	User         string
	Capabilities []string
	WritePaths   []string
}

// Result says what Apply changed.
type Result = bastion.ReplaceResult

// Service is the bastion service running the configuration cfg; nginx
// reloads gracefully on SIGHUP.
func (d *Deployer) Service(cfg []byte) bastion.Service {
	sum := sha256.Sum256(cfg)
	svc := bastion.Service{
		Name:         ServiceName,
		Description:  "okdctl nginx: ignition and CoreOS media for the cluster's nodes",
		Command:      []string{d.Binary, "-c", d.ConfigPath, "-e", "stderr"},
		ReloadSignal: syscall.SIGHUP,
		ConfigDigest: hex.EncodeToString(sum[:]),
	}
	if d.User != "" {
		svc.User, svc.Capabilities = d.User, d.Capabilities
		svc.Confine.WritePaths = d.WritePaths
	}
	return svc
}

// WriteDirs are the directories nginx writes: its pid file's, its access
// log's and its temp directory.
func (in Input) WriteDirs() []string { return in.writeDirs()[:3] }

// Apply renders in, checks it with `nginx -t`, replaces the live file and
// starts or reloads nginx (bastion's checked replace). A failed check
// changes nothing; a failed start or reload puts the previous file back.
// Applying again does nothing.
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
	return d.Host.Replace(ctx, bastion.Replace{Program: "nginx", Path: d.ConfigPath, Content: cfg,
		Check:       func(ctx context.Context) error { return d.check(ctx, in, cfg) },
		Service:     d.Service,
		BeforeWrite: d.ensureUser})
}

// ensureUser creates nginx's own user on a real bastion.
func (d *Deployer) ensureUser(ctx context.Context) (func(context.Context, bastion.Action) error, error) {
	if d.User == "" {
		return nil, nil
	}
	return nil, bastion.EnsureServiceUser(ctx, d.Host.Runner, d.User, "")
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
