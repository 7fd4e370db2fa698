package installer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/okdctl/okdctl/installer/openshiftinstall"
	"github.com/okdctl/okdctl/spec"
)

// InstallConfigPhase is the installconfig phase: install-config.yaml rendered from the spec.
// okdctl keeps the file in its state directory (FileInstallConfig, 0600);
// the manifests phase copies it into the install directory, since
// openshift-install consumes (deletes) its own.
type InstallConfigPhase struct{}

var (
	_ InputProvider = (*InstallConfigPhase)(nil)
	_ Checker       = (*InstallConfigPhase)(nil)
)

// Name implements Phase.
func (*InstallConfigPhase) Name() string { return PhaseInstallConfig }

// Inputs implements InputProvider: the rendered file's digest (the pull
// secret is inside it, but only its digest reaches the state).
func (p *InstallConfigPhase) Inputs(rc *RunContext) (any, error) {
	data, err := renderInstallConfig(rc, false)
	if err != nil {
		return nil, err
	}
	return map[string]string{"installConfig": sha256Hex(data)}, nil
}

// Done implements Checker: the kept copy is the one the spec renders.
func (p *InstallConfigPhase) Done(ctx context.Context, rc *RunContext) (bool, error) {
	want, err := renderInstallConfig(rc, false)
	if err != nil {
		return false, err
	}
	have, err := rc.Host().Files.ReadFile(rc.StatePath(FileInstallConfig))
	return err == nil && bytes.Equal(have, want), nil
}

// Run implements Phase.
func (p *InstallConfigPhase) Run(ctx context.Context, rc *RunContext) error {
	data, err := renderInstallConfig(rc, true)
	if err != nil {
		return err
	}
	path := rc.StatePath(FileInstallConfig)
	rc.Host().Redact(path, openshiftinstall.RedactPullSecret) // a plan shows it without the pull secret
	changed, err := rc.Host().Files.WriteFile(path, data, 0o600)
	if err != nil {
		return fmt.Errorf("failed to write install-config.yaml: %w", err)
	}
	if changed {
		rc.Log().Infof("install-config.yaml written to %s (compute replicas %d, control plane replicas %d)",
			path, ComputeReplicas(rc.Spec()), len(rc.Spec().NodesWithRole(spec.RoleMaster)))
	}
	return nil
}

// ComputeReplicas is what okdctl writes as compute[worker].replicas: the
// real worker count, not the 0 the UPI docs ask for. On platform none it
// creates no machine; it sets the infrastructure topology (4.8+: one worker
// gives SingleReplica, hence one router that fits the one worker) and the
// installer's mastersSchedulable default (0 makes masters schedulable),
// which the manifests phase sets explicitly anyway. A compact cluster (no
// workers) writes 0, as the docs do.
func ComputeReplicas(s *spec.ClusterSpec) int { return len(s.NodesWithRole(spec.RoleWorker)) }

// renderInstallConfig builds install-config.yaml from the spec and the
// registry and mirror phases' outputs (when present).
func renderInstallConfig(rc *RunContext, log bool) ([]byte, error) {
	s := rc.Spec()
	in := openshiftinstall.Input{
		ClusterName: rc.Cluster().Metadata.Name, BaseDomain: s.BaseDomain,
		Masters: len(s.NodesWithRole(spec.RoleMaster)), ComputeReplicas: ComputeReplicas(s),
		MachineCIDR: s.Network.MachineCIDR, ServiceNetwork: s.Network.ServiceNetwork,
		NetworkType: s.Network.Type, FIPS: s.FIPS, MirrorField: rc.Release().MirrorField(),
	}
	for _, cn := range s.Network.ClusterNetwork {
		in.ClusterNetwork = append(in.ClusterNetwork, openshiftinstall.ClusterNetworkEntry{CIDR: cn.CIDR, HostPrefix: cn.HostPrefix})
	}
	key, err := os.ReadFile(s.SSHKeyFile)
	if err != nil {
		return nil, fmt.Errorf("failed to read the SSH key: %w (set spec.sshKeyFile to a public key)", err)
	}
	in.SSHKey = string(key)
	if in.PullSecret, err = pullSecret(rc, log); err != nil {
		return nil, err
	}
	if in.TrustBundle, in.Mirrors, err = mirrorInputs(rc, log); err != nil {
		return nil, err
	}
	return openshiftinstall.Render(in)
}

// pullSecret is the registry phase's merged pull secret, else the user's,
// else (OKD only) the placeholder. It is registered as a secret.
func pullSecret(rc *RunContext, log bool) (string, error) {
	s := rc.Spec()
	if s.Registry.External != nil {
		_, ps, _, err := externalMirror(rc)
		return string(ps), err
	}
	merged, err := readOptional(rc, rc.StatePath(FilePullSecret))
	if err != nil {
		return "", err
	}
	ps := string(merged)
	if ps == "" && s.RegistryEnabled() && log {
		rc.Log().Warnf("no mirror registry pull secret in %s yet: install-config gets no registry credentials (run the registry phase first)", rc.StatePath(FilePullSecret))
	}
	if ps == "" && s.PullSecretFile != "" {
		data, err := os.ReadFile(s.PullSecretFile)
		if err != nil {
			return "", fmt.Errorf("failed to read the pull secret: %w (check spec.pullSecretFile)", err)
		}
		ps = string(data)
	}
	if ps == "" {
		if !openshiftinstall.IsOKD(s.Release.Image) {
			return "", errors.New("failed to find a pull secret: OpenShift Container Platform needs one: download it from console.redhat.com and set spec.pullSecretFile")
		}
		ps = openshiftinstall.PlaceholderPullSecret
	}
	rc.Log().AddSecret(pullSecretParts(ps)...)
	return ps, nil
}

// pullSecretParts are the strings to mask: the whole secret and each auth.
func pullSecretParts(ps string) []string {
	parts := []string{strings.TrimSpace(ps)}
	var doc struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	if json.Unmarshal([]byte(ps), &doc) == nil {
		for _, a := range doc.Auths {
			parts = append(parts, a.Auth)
		}
	}
	return parts
}

// mirrorInputs reads okdctl's CA (the trust bundle) and the mirror mapping
// when the registry and mirror phases have written them.
func mirrorInputs(rc *RunContext, log bool) (string, []openshiftinstall.MirrorSource, error) {
	s := rc.Spec()
	if !s.UsesRegistry() {
		return "", nil, nil
	}
	ca, err := readOptional(rc, rc.StatePath(FileCACert))
	if s.Registry.External != nil { // the site's CA
		ca, err = os.ReadFile(s.Registry.External.CAFile)
	}
	if err != nil {
		return "", nil, err
	}
	if !s.MirrorEnabled() {
		return string(ca), nil, nil
	}
	data, err := readOptional(rc, rc.StatePath(FileMirrorMapping))
	if err != nil || data == nil {
		if data == nil && err == nil && log {
			rc.Log().Warnf("no mirror mapping in %s yet: install-config gets no mirror sources, nodes will pull from the release's own registry", rc.StatePath(FileMirrorMapping))
		}
		return string(ca), nil, err
	}
	mirrors, err := openshiftinstall.ReadMirrors(data)
	if err != nil {
		return "", nil, fmt.Errorf("%w (run the mirror phase again)", err)
	}
	return string(ca), mirrors, nil
}

// readOptional reads a file another phase writes; a missing one is nil.
func readOptional(rc *RunContext, path string) ([]byte, error) {
	data, err := rc.Host().Files.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read %s: %w", path, err)
	}
	return data, nil
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
