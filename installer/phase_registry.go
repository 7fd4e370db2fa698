package installer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/okdctl/okdctl/registry"
	"github.com/okdctl/okdctl/spec"
)

// RegistryPhase is the registry phase: the mirror registry with okdctl's CA
// and htpasswd auth, verified from a client's side.
type RegistryPhase struct{}

var (
	_ Conditional   = (*RegistryPhase)(nil)
	_ Checker       = (*RegistryPhase)(nil)
	_ InputProvider = (*RegistryPhase)(nil)
)

// Name implements Phase.
func (*RegistryPhase) Name() string { return PhaseRegistry }

// ShouldRun implements Conditional.
func (*RegistryPhase) ShouldRun(rc *RunContext) (bool, string) {
	if ext := rc.Spec().Registry.External; ext != nil {
		return false, "spec.registry.external: the site's registry " + ext.Host + " is the mirror"
	}
	if !rc.Spec().RegistryEnabled() {
		return false, "spec.registry.enabled is false: nodes pull from the release's own registry"
	}
	return true, ""
}

// RegistryName is the registry's DNS name: registry.<cluster>.<baseDomain>.
func RegistryName(c *spec.Cluster) string { return "registry." + c.ClusterDomain() }

// RegistryConfigPath is the registry's config.yml.
func RegistryConfigPath(rc *RunContext) string { return rc.Path("/etc/okdctl/registry/config.yml") }

// Inputs implements InputProvider. The user's pull secret enters as a digest.
func (p *RegistryPhase) Inputs(rc *RunContext) (any, error) {
	s := rc.Spec()
	ps, err := userPullSecret(s)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(ps)
	in := map[string]any{
		"name": RegistryName(rc.Cluster()), "ip": s.Bastion.IP, "port": s.Bastion.Ports.Registry,
		"user": s.Registry.User, "sandbox": rc.Sandbox(), "pullSecret": hex.EncodeToString(sum[:]),
	}
	if !rc.Sandbox() {
		// a bastion whose registry ran as root (okdctl before the confined
		// unit) runs the phase again: data moved, unit confined
		in["serviceUser"] = RegistryUser
	}
	return in, nil
}

// Done implements Checker: the registry answers as Verify wants it.
func (p *RegistryPhase) Done(ctx context.Context, rc *RunContext) (bool, error) {
	if !rc.BastionReachable() {
		return false, nil
	}
	e, err := registryEndpoint(rc)
	if err != nil {
		return false, nil
	}
	return registry.Verify(ctx, *e) == nil, nil
}

// Run implements Phase.
func (p *RegistryPhase) Run(ctx context.Context, rc *RunContext) error {
	in, err := p.input(rc)
	if err != nil {
		return err
	}
	if err := moveRegistryData(ctx, rc); err != nil {
		return err
	}
	res, err := registry.Ensure(ctx, rc.Host(), in)
	if err != nil {
		return err
	}
	e := res.Endpoint
	if rc.DryRun() {
		rc.Host().Note(fmt.Sprintf("verify https://%s (at %s): TLS against okdctl's CA by name and by IP, anonymous and wrong-password requests refused, %s accepted", e.Host(), e.Addr(), e.User))
		return nil
	}
	rc.Log().Infof("registry https://%s verified (TLS by name and by IP, anonymous refused, %s accepted); CA %s, pull secret %s",
		e.Host(), e.User, rc.StatePath(FileCACert), rc.StatePath(FilePullSecret))
	return nil
}

// input translates the spec into the registry package's input.
func (p *RegistryPhase) input(rc *RunContext) (registry.Input, error) {
	s := rc.Spec()
	ps, err := userPullSecret(s)
	if err != nil {
		return registry.Input{}, err
	}
	in := registry.Input{
		Cluster: rc.Cluster().ClusterDomain(), Name: RegistryName(rc.Cluster()), IP: s.Bastion.IP,
		Port: s.Bastion.Ports.Registry, User: s.Registry.User, UserPullSecret: ps, Okdctl: rc.Host().Okdctl,
		Layout: registryLayout(rc), Now: rc.Now(), AddSecret: rc.Log().AddSecret, Log: rc.Log(),
	}
	if !rc.Sandbox() {
		in.ServiceUser = RegistryUser
		ts, err := registry.DetectTrustStore(rc.Host().Paths, "okdctl-"+rc.Cluster().Metadata.Name+"-ca")
		if err != nil && rc.DryRun() {
			rc.Log().Warnf("%v", err)
			return in, nil
		}
		if err != nil {
			return in, err
		}
		if rc.Host().Paths.Root != "" {
			ts.Update = nil // a relocated root gets the anchor file, the system is left alone
		}
		in.TrustStore = ts
	}
	return in, nil
}

// registryLayout places the registry's files per the state-file contract.
func registryLayout(rc *RunContext) registry.Layout {
	return registry.Layout{
		CACert: rc.StatePath(FileCACert), CAKey: rc.StatePath(FileCAKey),
		Cert: rc.StatePath(FileRegistryCert), Key: rc.StatePath(FileRegistryKey),
		Password: rc.StatePath(FileRegistryPass), Htpasswd: rc.StatePath(FileRegistryHtpass),
		PullSecret: rc.StatePath(FilePullSecret), Config: RegistryConfigPath(rc),
		DataDir: registryDataDir(rc),
	}
}

// userPullSecret reads spec.pullSecretFile (empty when unset).
func userPullSecret(s *spec.ClusterSpec) ([]byte, error) {
	if s.PullSecretFile == "" {
		return nil, nil
	}
	data, err := os.ReadFile(s.PullSecretFile)
	if err != nil {
		return nil, fmt.Errorf("failed to read spec.pullSecretFile: %w", err)
	}
	return data, nil
}

// registryEndpoint is how clients reach the registry, from the registry
// phase's files (the password is registered as a secret).
func registryEndpoint(rc *RunContext) (*registry.Endpoint, error) {
	files := rc.Host().Files
	ca, err := files.ReadFile(rc.StatePath(FileCACert))
	if err != nil {
		return nil, missingOutput(err, "okdctl's CA")
	}
	pass, err := files.ReadFile(rc.StatePath(FileRegistryPass))
	if err != nil {
		return nil, missingOutput(err, "the registry password")
	}
	password := strings.TrimSpace(string(pass))
	rc.Log().AddSecret(password)
	s := rc.Spec()
	return &registry.Endpoint{Name: RegistryName(rc.Cluster()), IP: s.Bastion.IP, Port: s.Bastion.Ports.Registry,
		CACert: ca, User: s.Registry.User, Password: password}, nil
}

func missingOutput(err error, what string) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s is missing: run the registry phase (okdctl apply --only registry)", what)
	}
	return fmt.Errorf("failed to read %s: %w", what, err)
}
