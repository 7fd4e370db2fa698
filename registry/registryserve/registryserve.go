package registryserve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry"

	// the only auth and storage okdctl's config.yml uses
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

// DrainTimeout bounds how long a stop waits for requests in flight.
const DrainTimeout = 10 * time.Second

// ParseArgs reads the one argument, the registry's config.yml.
func ParseArgs(args []string) (string, error) {
	if len(args) != 1 || args[0] == "" || args[0][0] == '-' {
		return "", fmt.Errorf("okdctl serve registry takes one argument, the registry's config.yml (got %q)", args)
	}
	return args[0], nil
}

// Load reads and checks a registry config.yml (REGISTRY_* environment
// variables override it, as for the registry program).
func Load(path string) (*configuration.Configuration, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read the registry configuration: %w", err)
	}
	defer f.Close()
	cfg, err := configuration.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("failed to parse the registry configuration %s: %w", path, err)
	}
	return cfg, nil
}

// Run serves the registry until ctx is done, then drains requests in
// flight (at most DrainTimeout) and closes the storage.
func Run(ctx context.Context, cfg *configuration.Configuration) error {
	tracingOff()
	useCachedHtpasswd(cfg)
	reg, err := registry.NewRegistry(context.Background(), cfg)
	if err != nil {
		return fmt.Errorf("failed to set up the registry: %w", err)
	}
	served := make(chan error, 1)
	go func() { served <- reg.ListenAndServe() }()
	select {
	case err := <-served:
		return fmt.Errorf("the registry stopped serving on %s: %w", cfg.HTTP.Addr, err)
	case <-ctx.Done():
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), DrainTimeout)
	defer cancel()
	err = reg.Shutdown(stopCtx)
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("failed to stop the registry cleanly: %w", err)
	}
	return nil
}

// tracingOff keeps the registry from exporting OpenTelemetry traces:
// distribution sets up an exporter from the OTEL_* environment, whose
// default is OTLP to https://localhost:4318, dialled every few seconds and
// logged as an error when nothing listens. A bastion has no collector, so
// okdctl's registry exports none unless OTEL_TRACES_EXPORTER asks for one.
func tracingOff() {
	if os.Getenv("OTEL_TRACES_EXPORTER") == "" {
		_ = os.Setenv("OTEL_TRACES_EXPORTER", "none")
	}
}
