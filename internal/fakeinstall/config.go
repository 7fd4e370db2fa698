package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// installConfig is the subset of install-config.yaml the double reads;
// unknown fields are errors, as in current installers.
type installConfig struct {
	APIVersion string `yaml:"apiVersion" json:"apiVersion"`
	BaseDomain string `yaml:"baseDomain" json:"baseDomain"`
	Metadata   struct {
		Name string `yaml:"name" json:"name"`
	} `yaml:"metadata" json:"metadata"`
	Compute      []pool `yaml:"compute" json:"compute"`
	ControlPlane *pool  `yaml:"controlPlane" json:"controlPlane"`
	Networking   struct {
		ClusterNetwork []struct {
			CIDR       string `yaml:"cidr" json:"cidr"`
			HostPrefix int    `yaml:"hostPrefix" json:"hostPrefix"`
		} `yaml:"clusterNetwork" json:"clusterNetwork"`
		MachineNetwork []struct {
			CIDR string `yaml:"cidr" json:"cidr"`
		} `yaml:"machineNetwork" json:"machineNetwork"`
		NetworkType    string   `yaml:"networkType" json:"networkType"`
		ServiceNetwork []string `yaml:"serviceNetwork" json:"serviceNetwork"`
	} `yaml:"networking" json:"networking"`
	Platform              map[string]any `yaml:"platform" json:"platform"`
	FIPS                  bool           `yaml:"fips" json:"fips"`
	PullSecret            string         `yaml:"pullSecret" json:"pullSecret"`
	SSHKey                string         `yaml:"sshKey" json:"sshKey"`
	AdditionalTrustBundle string         `yaml:"additionalTrustBundle" json:"additionalTrustBundle"`
	ImageContentSources   []mirror       `yaml:"imageContentSources" json:"imageContentSources,omitempty"`
	ImageDigestSources    []mirror       `yaml:"imageDigestSources" json:"imageDigestSources,omitempty"`
}

type pool struct {
	Name           string `yaml:"name" json:"name"`
	Hyperthreading string `yaml:"hyperthreading" json:"hyperthreading"`
	Replicas       *int   `yaml:"replicas" json:"replicas"`
}

type mirror struct {
	Source  string   `yaml:"source" json:"source"`
	Mirrors []string `yaml:"mirrors" json:"mirrors"`
}

func (ic *installConfig) clusterDomain() string { return ic.Metadata.Name + "." + ic.BaseDomain }

func (ic *installConfig) computeReplicas() int {
	n := 0
	for _, p := range ic.Compute {
		if p.Replicas != nil {
			n += *p.Replicas
		}
	}
	return n
}

func (ic *installConfig) masters() int { return *ic.ControlPlane.Replicas }

// loadErr wraps an install-config problem the way openshift-install reports it.
func loadErr(err error) error {
	return fmt.Errorf("failed to fetch Master Machines: failed to load asset \"Install Config\": failed to create install config: %w", err)
}

// readInstallConfig reads DIR/install-config.yaml, or the copy an earlier
// run stored in the state file (the real installer reuses it too).
func readInstallConfig(dir string, st *state) (*installConfig, bool, error) {
	data, err := os.ReadFile(filepath.Join(dir, "install-config.yaml"))
	if errors.Is(err, os.ErrNotExist) {
		if st.InstallConfig != nil {
			return st.InstallConfig, false, nil
		}
		return nil, false, loadErr(fmt.Errorf("no install-config.yaml in %s and no terminal to ask for one: platform: survey prompt: EOF", dir))
	}
	if err != nil {
		return nil, false, loadErr(err)
	}
	var ic installConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&ic); err != nil {
		return nil, false, loadErr(fmt.Errorf("invalid \"install-config.yaml\" file: %w", err))
	}
	if err := validate(&ic); err != nil {
		return nil, false, loadErr(fmt.Errorf("invalid \"install-config.yaml\" file: %w", err))
	}
	return &ic, true, nil
}

func validate(ic *installConfig) error {
	var errs []string
	req := func(ok bool, field string) {
		if !ok {
			errs = append(errs, field+": Required value")
		}
	}
	if ic.APIVersion != "v1" {
		errs = append(errs, fmt.Sprintf("apiVersion: Invalid value: %q: install-config version must be \"v1\"", ic.APIVersion))
	}
	req(ic.Metadata.Name != "", "metadata.name")
	req(ic.BaseDomain != "", "baseDomain")
	req(ic.ControlPlane != nil && ic.ControlPlane.Replicas != nil, "controlPlane.replicas")
	req(len(ic.Networking.MachineNetwork) > 0, "networking.machineNetwork")
	if _, ok := ic.Platform["none"]; !ok {
		errs = append(errs, "platform: Invalid value: this double knows platform none only")
	}
	var ps struct {
		Auths map[string]json.RawMessage `json:"auths"`
	}
	if err := json.Unmarshal([]byte(ic.PullSecret), &ps); err != nil || len(ps.Auths) == 0 {
		errs = append(errs, "pullSecret: Invalid value: \"\": auths required")
	}
	if len(ic.ImageContentSources) > 0 && len(ic.ImageDigestSources) > 0 {
		errs = append(errs, "imageContentSources: Forbidden: cannot set imageContentSources and imageDigestSources at the same time")
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, ", "))
	}
	return nil
}

// state is .openshift_install_state.json: the assets an earlier run made.
type state struct {
	InstallConfig     *installConfig `json:"*installconfig.InstallConfig,omitempty"`
	KubeadminPassword string         `json:"*password.KubeadminPassword,omitempty"`
	ClusterID         string         `json:"*installconfig.ClusterID,omitempty"`
	InfraID           string         `json:"*installconfig.InfraID,omitempty"`
	Manifests         []string       `json:"*manifests.Manifests,omitempty"`
	IgnitionConfigs   []string       `json:"*ignition.Configs,omitempty"`
	// what create ignition-configs consumed and made, kept as the real
	// installer keeps its assets
	ManifestFiles map[string][]byte `json:"*manifests.Files,omitempty"`
	PKI           *clusterPKI       `json:"*tls.PKI,omitempty"`
}

const stateFile = ".openshift_install_state.json"

func loadState(dir string) (*state, error) {
	var st state
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return &st, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("failed to load asset store: %w", err)
	}
	return &st, nil
}

func (st *state) save(dir string) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, stateFile), data, 0o640)
}
