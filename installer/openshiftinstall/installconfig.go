package openshiftinstall

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"gopkg.in/yaml.v3"
)

// Mirror fields of install-config, chosen by release (never both).
const (
	FieldImageContentSources = "imageContentSources"
	FieldImageDigestSources  = "imageDigestSources"
)

// PlaceholderPullSecret is the pull secret OKD accepts when its images need
// no credentials; OpenShift Container Platform needs a real one.
const PlaceholderPullSecret = `{"auths":{"fake":{"auth":"aWQ6cGFzcwo="}}}`

// InstallConfig is the part of openshift-install's install-config.yaml that
// a bare-metal UPI cluster uses (platform none).
type InstallConfig struct {
	APIVersion            string         `yaml:"apiVersion"`
	BaseDomain            string         `yaml:"baseDomain"`
	Metadata              Metadata       `yaml:"metadata"`
	Compute               []MachinePool  `yaml:"compute"`
	ControlPlane          MachinePool    `yaml:"controlPlane"`
	Networking            Networking     `yaml:"networking"`
	Platform              Platform       `yaml:"platform"`
	FIPS                  bool           `yaml:"fips"`
	PullSecret            string         `yaml:"pullSecret"`
	SSHKey                string         `yaml:"sshKey,omitempty"`
	AdditionalTrustBundle string         `yaml:"additionalTrustBundle,omitempty"`
	ImageContentSources   []MirrorSource `yaml:"imageContentSources,omitempty"`
	ImageDigestSources    []MirrorSource `yaml:"imageDigestSources,omitempty"`
}

// Metadata names the cluster.
type Metadata struct {
	Name string `yaml:"name"`
}

// MachinePool is a compute or control-plane pool.
type MachinePool struct {
	Name           string `yaml:"name"`
	Hyperthreading string `yaml:"hyperthreading"`
	Replicas       int    `yaml:"replicas"`
}

// Networking is the cluster's networks.
type Networking struct {
	ClusterNetwork []ClusterNetworkEntry `yaml:"clusterNetwork"`
	MachineNetwork []MachineNetworkEntry `yaml:"machineNetwork"`
	NetworkType    string                `yaml:"networkType"`
	ServiceNetwork []string              `yaml:"serviceNetwork"`
}

// ClusterNetworkEntry is one pod network block.
type ClusterNetworkEntry struct {
	CIDR       string `yaml:"cidr" json:"cidr"`
	HostPrefix int    `yaml:"hostPrefix" json:"hostPrefix"`
}

// MachineNetworkEntry is the machines' network.
type MachineNetworkEntry struct {
	CIDR string `yaml:"cidr"`
}

// Platform is always none for user-provisioned bare metal.
type Platform struct {
	None struct{} `yaml:"none"`
}

// MirrorSource maps a source repository to its mirrors.
type MirrorSource struct {
	Source  string   `yaml:"source" json:"source"`
	Mirrors []string `yaml:"mirrors" json:"mirrors"`
}

// Input is what install-config.yaml is rendered from.
type Input struct {
	ClusterName string
	BaseDomain  string
	Masters     int
	// ComputeReplicas is written as compute[worker].replicas. okdctl writes
	// the real worker count (see ComputeReplicas in the installer package).
	ComputeReplicas int
	MachineCIDR     string
	ClusterNetwork  []ClusterNetworkEntry
	ServiceNetwork  []string
	NetworkType     string
	PullSecret      string
	SSHKey          string
	TrustBundle     string // PEM; okdctl's CA
	Mirrors         []MirrorSource
	MirrorField     string // FieldImageContentSources or FieldImageDigestSources
	FIPS            bool
}

// Header starts every install-config.yaml okdctl writes.
const Header = "# Written by okdctl from the cluster spec: edit the spec, not this file.\n" +
	"# openshift-install consumes this file; okdctl keeps a copy in its state directory.\n"

// Render renders install-config.yaml. The result holds the pull secret:
// write it 0600.
func Render(in Input) ([]byte, error) {
	if err := check(in); err != nil {
		return nil, err
	}
	ic := InstallConfig{
		APIVersion:   "v1",
		BaseDomain:   in.BaseDomain,
		Metadata:     Metadata{Name: in.ClusterName},
		Compute:      []MachinePool{{Name: "worker", Hyperthreading: "Enabled", Replicas: in.ComputeReplicas}},
		ControlPlane: MachinePool{Name: "master", Hyperthreading: "Enabled", Replicas: in.Masters},
		Networking: Networking{ClusterNetwork: in.ClusterNetwork, MachineNetwork: []MachineNetworkEntry{{CIDR: in.MachineCIDR}},
			NetworkType: in.NetworkType, ServiceNetwork: in.ServiceNetwork},
		FIPS:                  in.FIPS,
		PullSecret:            compactJSON(in.PullSecret),
		SSHKey:                strings.TrimSpace(in.SSHKey),
		AdditionalTrustBundle: strings.TrimSpace(in.TrustBundle),
	}
	if ic.AdditionalTrustBundle != "" {
		ic.AdditionalTrustBundle += "\n"
	}
	switch in.MirrorField {
	case FieldImageDigestSources:
		ic.ImageDigestSources = in.Mirrors
	default:
		ic.ImageContentSources = in.Mirrors
	}
	var buf bytes.Buffer
	buf.WriteString(Header)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(ic); err != nil {
		return nil, fmt.Errorf("failed to encode install-config.yaml: %w", err)
	}
	return buf.Bytes(), enc.Close()
}

func check(in Input) error {
	var errs []error
	if in.ClusterName == "" || in.BaseDomain == "" {
		errs = append(errs, errors.New("cluster name and base domain are required"))
	}
	if in.Masters < 1 || in.ComputeReplicas < 0 {
		errs = append(errs, fmt.Errorf("control plane replicas %d and compute replicas %d: need at least one master", in.Masters, in.ComputeReplicas))
	}
	if _, err := netip.ParsePrefix(in.MachineCIDR); err != nil {
		errs = append(errs, fmt.Errorf("machine network %q: %w", in.MachineCIDR, err))
	}
	if err := CheckPullSecret(in.PullSecret); err != nil {
		errs = append(errs, err)
	}
	if len(in.Mirrors) > 0 && in.MirrorField != FieldImageContentSources && in.MirrorField != FieldImageDigestSources {
		errs = append(errs, fmt.Errorf("unknown mirror field %q", in.MirrorField))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("failed to render install-config.yaml: %w", err)
	}
	return nil
}

// CheckPullSecret checks that a pull secret is JSON with an auths object.
// Its content never appears in the error.
func CheckPullSecret(s string) error {
	var ps struct {
		Auths map[string]json.RawMessage `json:"auths"`
	}
	if err := json.Unmarshal([]byte(s), &ps); err != nil || len(ps.Auths) == 0 {
		return errors.New(`the pull secret is not JSON of the form {"auths":{...}}: download it again (OpenShift) or leave spec.pullSecretFile empty (OKD)`)
	}
	return nil
}

func compactJSON(s string) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		return strings.TrimSpace(s)
	}
	return buf.String()
}
