package etcdserve

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"go.etcd.io/etcd/pkg/v3/flags"
	"go.etcd.io/etcd/server/v3/embed"
)

// StartTimeout bounds how long Run waits for the member to be ready.
const StartTimeout = 2 * time.Minute

var logLevels = []string{"debug", "info", "warn", "error", "dpanic", "panic", "fatal"}

// ParseArgs reads etcd's command-line flags (--name, --data-dir,
// --listen-client-urls, --max-txn-ops, ...) into an embedded server's
// configuration, exactly as the etcd program reads them; okdctl's
// --initial-cluster-state is accepted too.
func ParseArgs(args []string, usage io.Writer) (*embed.Config, error) {
	cfg := embed.NewConfig()
	fs := flag.NewFlagSet("okdctl serve etcd", flag.ContinueOnError)
	fs.SetOutput(usage)
	cfg.AddFlags(fs)
	state := flags.NewSelectiveStringValue(embed.ClusterStateFlagNew, embed.ClusterStateFlagExisting)
	fs.Var(state, "initial-cluster-state", "'new' when bootstrapping a new cluster, 'existing' when joining one")
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("failed to parse the etcd flags: %w", err)
	}
	if fs.NArg() != 0 {
		return nil, fmt.Errorf("unexpected argument %q: okdctl serve etcd takes only etcd's flags", fs.Arg(0))
	}
	cfg.ListenPeerUrls = flags.UniqueURLsFromFlag(fs, "listen-peer-urls")
	cfg.AdvertisePeerUrls = flags.UniqueURLsFromFlag(fs, "initial-advertise-peer-urls")
	cfg.ListenClientUrls = flags.UniqueURLsFromFlag(fs, "listen-client-urls")
	cfg.ListenClientHttpUrls = flags.UniqueURLsFromFlag(fs, "listen-client-http-urls")
	cfg.AdvertiseClientUrls = flags.UniqueURLsFromFlag(fs, "advertise-client-urls")
	cfg.ListenMetricsUrls = flags.UniqueURLsFromFlag(fs, "listen-metrics-urls")
	cfg.LogOutputs = flags.UniqueStringsFromFlag(fs, "log-outputs")
	cfg.ClusterState = state.String()
	// as etcd does: no default advertise URL when only the listen URL is set
	if flags.IsSet(fs, "listen-client-urls") && !flags.IsSet(fs, "advertise-client-urls") {
		cfg.AdvertiseClientUrls = nil
	}
	fs.Visit(func(f *flag.Flag) { cfg.FlagsExplicitlySet[f.Name] = true })
	// etcd panics on an unknown level
	if !slices.Contains(logLevels, cfg.LogLevel) {
		return nil, fmt.Errorf("invalid etcd configuration: --log-level %q is not one of %s", cfg.LogLevel, strings.Join(logLevels, ", "))
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid etcd configuration: %w", err)
	}
	return cfg, nil
}

// Run starts the member and serves until ctx is done (then stops it
// cleanly: in-flight requests finish, the WAL is synced) or etcd fails.
func Run(ctx context.Context, cfg *embed.Config) error {
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("failed to start etcd in %s: %w", cfg.Dir, err)
	}
	defer e.Close()
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		return fmt.Errorf("etcd failed while starting: %w", err)
	case <-time.After(StartTimeout):
		return fmt.Errorf("etcd in %s was not ready within %s", cfg.Dir, StartTimeout)
	case <-ctx.Done():
		return nil
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-e.Err():
		if err == nil {
			return errors.New("etcd stopped")
		}
		return fmt.Errorf("etcd failed: %w", err)
	case <-e.Server.StopNotify():
		return errors.New("etcd stopped by itself")
	}
}
