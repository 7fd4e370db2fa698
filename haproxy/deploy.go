package haproxy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"syscall"
	"time"

	"github.com/okdctl/okdctl/bastion"
)

// ServiceName is the bastion service that runs HAProxy.
const ServiceName = "okdctl-haproxy"

// Deployer puts a configuration live on a bastion: check, replace, reload.
type Deployer struct {
	Host *bastion.Host
	// Binary is the haproxy program.
	Binary string
	// ConfigPath is the live haproxy.cfg.
	ConfigPath string
	// SocketPath is the master CLI socket (reload outcome, process status).
	SocketPath string
	// ReloadTimeout bounds a reload (default 15 s).
	ReloadTimeout time.Duration
	// User runs HAProxy on a real bastion, confined by systemd, with
	// Capabilities (CAP_NET_BIND_SERVICE when a port is below 1024);
	// empty in a sandbox.
	User         string
	Capabilities []string
}

// Result says what Apply changed.
type Result = bastion.ReplaceResult

// Service is the bastion service running the configuration cfg: HAProxy
// in master-worker mode, reloaded in place by SIGUSR2.
func (d *Deployer) Service(cfg []byte) bastion.Service {
	sum := sha256.Sum256(cfg)
	svc := bastion.Service{
		Name:         ServiceName,
		Description:  "okdctl HAProxy: API, machine config and ingress load balancer",
		Command:      []string{d.Binary, "-Ws", "-f", d.ConfigPath, "-S", d.SocketPath + ",mode,600"},
		ReloadSignal: syscall.SIGUSR2,
		ConfigDigest: hex.EncodeToString(sum[:]),
	}
	if d.User != "" {
		// the master socket is the only file it writes; a reload re-executes
		// the master, which takes the listeners over from the old workers
		svc.User, svc.Capabilities = d.User, d.Capabilities
		svc.Confine.WritePaths = []string{filepath.Dir(d.SocketPath)}
	}
	return svc
}

// Apply checks cfg, replaces the live file with it and starts or reloads
// HAProxy (bastion's checked replace). A failed check changes nothing; a
// failed start or reload puts the previous file back (the previous workers
// keep serving) and returns HAProxy's output. Applying the live
// configuration again does nothing.
func (d *Deployer) Apply(ctx context.Context, cfg []byte) (Result, error) {
	if len(d.SocketPath) > 100 {
		return Result{}, fmt.Errorf("failed to apply haproxy.cfg: master socket path %s is too long for a unix socket; use a shorter --root", d.SocketPath)
	}
	return d.Host.Replace(ctx, bastion.Replace{Program: "haproxy", Path: d.ConfigPath, Content: cfg,
		Check:       func(ctx context.Context) error { return Check(ctx, d.Host.Runner, d.Binary, cfg) },
		Service:     d.Service,
		BeforeWrite: d.beforeWrite})
}

// beforeWrite makes the master socket's directory and notes the master's
// reload count, so that the reload can be confirmed through the socket.
func (d *Deployer) beforeWrite(ctx context.Context) (func(context.Context, bastion.Action) error, error) {
	if d.User != "" {
		if err := bastion.EnsureServiceUser(ctx, d.Host.Runner, d.User, ""); err != nil {
			return nil, err
		}
	}
	if err := d.Host.Files.MkdirAll(filepath.Dir(d.SocketPath), 0o755); err != nil {
		return nil, err
	}
	before, _ := showProc(ctx, d.SocketPath)
	return func(ctx context.Context, action bastion.Action) error {
		switch action {
		case bastion.Reloaded:
			return d.awaitReload(ctx, before)
		case bastion.Started, bastion.Restarted:
			return d.awaitReload(ctx, nil)
		}
		return nil
	}, nil
}

// awaitReload waits until the master reports the reload (or, with no
// earlier status, answers at all), and fails with the service's log when
// the new configuration did not load.
func (d *Deployer) awaitReload(ctx context.Context, before *procStatus) error {
	timeout := d.ReloadTimeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		st, err := showProc(ctx, d.SocketPath)
		if err == nil && (before == nil || st.Reloads > before.Reloads) {
			if st.Failed > 0 {
				return fmt.Errorf("haproxy did not load the new configuration; its log ends with:\n%s", d.serviceLog(ctx))
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("haproxy did not report the reload within %s; its log ends with:\n%s", timeout, d.serviceLog(ctx))
}

// serviceLog is the end of HAProxy's log: the sandbox log file, or the
// systemd journal on a real bastion.
func (d *Deployer) serviceLog(ctx context.Context) string {
	if sb, ok := d.Host.Services.(*bastion.Sandbox); ok {
		return alerts(tailFile(sb.LogPath(ServiceName), 40))
	}
	out, _ := d.Host.Runner.Run(ctx, bastion.Cmd{Name: "journalctl",
		Args: []string{"-u", ServiceName + ".service", "-n", "40", "-o", "cat", "--no-pager"}, ReadOnly: true})
	return alerts(string(out))
}

// Status reports the master's pid and its workers (for tests and status).
func (d *Deployer) Status(ctx context.Context) (masterPID int, workers []int, err error) {
	st, err := showProc(ctx, d.SocketPath)
	if err != nil {
		return 0, nil, err
	}
	return st.MasterPID, st.Workers, nil
}
