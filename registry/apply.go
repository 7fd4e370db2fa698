package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/okdctl/okdctl/bastion"
)

// Layout is where the registry's files live.
type Layout struct {
	CACert, CAKey string
	Cert, Key     string
	Password      string // 0600, never printed
	Htpasswd      string // 0600
	PullSecret    string // 0600
	Config        string
	DataDir       string
}

// Input is everything Ensure needs, in the registry's own terms.
type Input struct {
	// Cluster names the CA (okdctl CA for <cluster domain>).
	Cluster string
	// Name is registry.<cluster>.<baseDomain>; IP and Port are where it listens.
	Name string
	IP   string
	Port int
	User string
	// UserPullSecret is the user's pull secret (may be empty).
	UserPullSecret []byte
	Layout         Layout
	// Okdctl is the okdctl program that serves the registry.
	Okdctl string
	// ServiceUser runs the registry on a real bastion, confined (created
	// when missing; it owns Layout.DataDir). Empty: the sandbox.
	ServiceUser string
	// TrustStore receives the CA on a real bastion; nil leaves it alone.
	TrustStore *TrustStore
	Now        time.Time
	// AddSecret registers the password with the caller's logger before
	// anything is logged.
	AddSecret func(...string)
	// Log reports what was done (nil: silent).
	Log Logger
	// StartTimeout bounds the wait for the registry to answer (default 30 s).
	StartTimeout time.Duration
}

// Result is the registry Ensure left running.
type Result struct {
	Endpoint Endpoint
	Service  bastion.Service
	Action   bastion.Action
}

// Logger receives what Ensure and Mirror do; installer's Logger fits.
type Logger interface {
	Infof(format string, args ...any)
	Warnf(format string, args ...any)
}

type nopLogger struct{}

func (nopLogger) Infof(string, ...any) {}
func (nopLogger) Warnf(string, ...any) {}

func (in *Input) log() Logger {
	if in.Log == nil {
		return nopLogger{}
	}
	return in.Log
}

func (in *Input) endpoint(ca []byte, password string) Endpoint {
	return Endpoint{Name: in.Name, IP: in.IP, Port: in.Port, CACert: ca, User: in.User, Password: password}
}

// Ensure makes the registry exist and answer: PKI, password, htpasswd and
// pull secret, configuration, trust store, service; then it verifies TLS
// and auth. Unchanged inputs change nothing. In a dry run (h.DryRun) every
// write is recorded and nothing is started or verified.
func Ensure(ctx context.Context, h *bastion.Host, in Input) (*Result, error) {
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	ca, err := ensureCA(h.Files, &in)
	if err != nil {
		return nil, err
	}
	leaf, err := ensureLeaf(h.Files, &in, ca)
	if err != nil {
		return nil, err
	}
	password, err := ensurePassword(h.Files, &in)
	if err != nil {
		return nil, err
	}
	htpasswd, err := ensureHtpasswd(h.Files, &in, password)
	if err != nil {
		return nil, err
	}
	if err := ensurePullSecret(h.Files, &in, password); err != nil {
		return nil, err
	}
	if in.ServiceUser != "" {
		// the data directory with its parents 0755 (install -d), so that the
		// registry's user reaches it; systemd keeps it owned by that user
		if err := bastion.EnsureServiceUser(ctx, h.Runner, in.ServiceUser, in.Layout.DataDir); err != nil {
			return nil, err
		}
	}
	svc, err := ensureConfig(h.Files, &in, leaf, htpasswd)
	if err != nil {
		return nil, err
	}
	if in.TrustStore != nil {
		if changed, err := InstallTrust(ctx, h, in.TrustStore, ca.CertPEM); err != nil {
			return nil, err
		} else if changed {
			in.log().Infof("added okdctl's CA to the system trust store (%s)", in.TrustStore.Anchor)
		}
	}
	action, err := h.Services.Ensure(ctx, svc)
	if err != nil {
		return nil, fmt.Errorf("failed to start the registry: %w", err)
	}
	if action != bastion.Unchanged {
		in.log().Infof("registry %s (%s)", action, svc.Name)
	}
	res := &Result{Endpoint: in.endpoint(ca.CertPEM, password), Service: svc, Action: action}
	if h.DryRun {
		return res, nil
	}
	return res, waitAndVerify(ctx, &in, res.Endpoint)
}

// ensureConfig writes config.yml and the data directory and returns the
// service definition whose digest covers every file the registry reads.
func ensureConfig(files bastion.Files, in *Input, leaf *KeyPair, htpasswd []byte) (bastion.Service, error) {
	l := in.Layout
	conf := Config{Addr: net.JoinHostPort(in.IP, strconv.Itoa(in.Port)),
		CertFile: l.Cert, KeyFile: l.Key, HtpasswdFile: l.Htpasswd, DataDir: l.DataDir}
	if in.ServiceUser != "" {
		conf.CertFile, conf.KeyFile, conf.HtpasswdFile = CredentialPath(CredCert), CredentialPath(CredKey), CredentialPath(CredHtpasswd)
	}
	cfg, err := RenderConfig(conf)
	if err != nil {
		return bastion.Service{}, err
	}
	if in.ServiceUser == "" {
		if err := files.MkdirAll(l.DataDir, 0o700); err != nil {
			return bastion.Service{}, err
		}
	}
	if _, err := files.WriteFile(l.Config, cfg, 0o644); err != nil {
		return bastion.Service{}, err
	}
	sum := sha256.New()
	for _, part := range [][]byte{cfg, leaf.CertPEM, leaf.KeyPEM, htpasswd} {
		sum.Write(part)
		sum.Write([]byte{0})
	}
	return Service(ServiceInput{Okdctl: in.Okdctl, Config: l.Config, ConfigDigest: hex.EncodeToString(sum.Sum(nil)),
		User: in.ServiceUser, Port: in.Port, CertFile: l.Cert, KeyFile: l.Key, HtpasswdFile: l.Htpasswd, DataDir: l.DataDir}), nil
}

func waitAndVerify(ctx context.Context, in *Input, e Endpoint) error {
	timeout := in.StartTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	pool, err := e.Pool()
	if err != nil {
		return err
	}
	err = bastion.Poll(ctx, bastion.WaitOptions{What: "the registry at " + e.Addr(), Timeout: timeout,
		Interval: 100 * time.Millisecond, Every: 10 * time.Second}, func(ctx context.Context) (bool, error) {
		return CheckTLS(ctx, e.Addr(), e.Name, pool) == nil, nil
	})
	if err != nil {
		return fmt.Errorf("failed to reach the registry: %w (see its log)", err)
	}
	if err := Verify(ctx, e); err != nil {
		return fmt.Errorf("failed to verify the registry: %w", err)
	}
	return nil
}
