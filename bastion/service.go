package bastion

import (
	"context"
	"syscall"
)

// Service is one long-running bastion program (etcd, CoreDNS, HAProxy, ...).
type Service struct {
	// Name is the unit name without suffix, e.g. "okdctl-coredns".
	Name        string
	Description string
	// Command is the program and its arguments.
	Command []string
	Dir     string
	Env     []string
	// User runs the program on a real bastion (empty: root).
	User string
	// Capabilities are ambient capabilities granted on a real bastion,
	// e.g. CAP_NET_BIND_SERVICE for a non-root DNS server.
	Capabilities []string
	// ReloadSignal reloads the configuration in place; 0 means a config
	// change restarts the service.
	ReloadSignal syscall.Signal
	// ConfigDigest summarises the configuration files the program reads;
	// when it changes the service is reloaded (or restarted).
	ConfigDigest string
	// After names units this one starts after (systemd ordering).
	After []string
	// Confine confines the service on a real bastion (systemd sandboxing).
	Confine Confinement
}

// Action is what Ensure did to a service.
type Action string

// The actions Ensure reports.
const (
	Unchanged Action = "unchanged"
	Started   Action = "started"
	Restarted Action = "restarted"
	Reloaded  Action = "reloaded"
)

// Services starts, reloads and stops bastion services.
type Services interface {
	// Ensure makes svc installed and running with its current command and
	// configuration, doing nothing when it already is.
	Ensure(ctx context.Context, svc Service) (Action, error)
	// Reload asks a running service to re-read its configuration.
	Reload(ctx context.Context, svc Service) error
	// Stop stops a service; stopping a stopped service is not an error.
	Stop(ctx context.Context, name string) error
	// Running reports whether the service runs.
	Running(ctx context.Context, name string) (bool, error)
}
