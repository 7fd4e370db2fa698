package openshiftinstall

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/spec/release"
)

// Driver runs openshift-install.
type Driver struct {
	// Binary is the openshift-install path.
	Binary string
	Runner bastion.Runner
	// Env is added to openshift-install's environment.
	Env []string
	// Secrets are masked in command lines, output and errors.
	Secrets []string
}

// Find resolves the binary: the given path or name, else openshift-install
// from PATH.
func Find(binary string) (string, error) {
	if binary == "" {
		binary = "openshift-install"
	}
	if strings.Contains(binary, "/") {
		return filepath.Clean(binary), nil
	}
	p, err := exec.LookPath(binary)
	if err != nil {
		return "", fmt.Errorf("failed to find %s in PATH: extract the release's own with `oc adm release extract --command=openshift-install RELEASE_IMAGE`, then put it in PATH or set spec.openshiftInstall", binary)
	}
	return p, nil
}

// VersionInfo is what `openshift-install version` prints.
type VersionInfo struct {
	Version      string // e.g. 4.14.0-0.okd-2024-01-26-175629
	Commit       string
	ReleaseImage string
	Architecture string // amd64
}

// Version runs `openshift-install version` (read-only: it runs in dry runs too).
func (d *Driver) Version(ctx context.Context) (VersionInfo, error) {
	out, err := d.Runner.Run(ctx, d.cmd(true, "version"))
	if err != nil {
		return VersionInfo{}, fmt.Errorf("failed to run openshift-install version: %w", err)
	}
	return ParseVersion(string(out)), nil
}

// ParseVersion reads `openshift-install version` output.
func ParseVersion(out string) VersionInfo {
	var v VersionInfo
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && strings.HasSuffix(f[0], "openshift-install"):
			v.Version = strings.TrimPrefix(f[1], "v")
		case len(f) == 4 && f[0] == "built" && f[2] == "commit":
			v.Commit = f[3]
		case len(f) == 3 && f[0] == "release" && f[1] == "image":
			v.ReleaseImage = f[2]
		case len(f) == 3 && f[0] == "release" && f[1] == "architecture":
			v.Architecture = f[2]
		}
	}
	return v
}

// CheckRelease compares the binary's x.y with the release's. It returns
// ok=false when the binary's version cannot be read (a development build):
// the caller warns and goes on.
func (v VersionInfo) CheckRelease(want release.Version) (ok bool, err error) {
	got, perr := release.Parse(v.Version)
	if perr != nil {
		return false, nil
	}
	if got != want {
		return true, fmt.Errorf("openshift-install is %s but the release is %s: use the release's own openshift-install (`oc adm release extract --command=openshift-install RELEASE_IMAGE`) or set spec.openshiftInstall", v.Version, want)
	}
	return true, nil
}

// CreateManifests runs `openshift-install create manifests --dir DIR`.
func (d *Driver) CreateManifests(ctx context.Context, dir string) error {
	if _, err := d.Runner.Run(ctx, d.cmd(false, "create", "manifests", "--dir", dir)); err != nil {
		return fmt.Errorf("failed to create manifests: %w", err)
	}
	return nil
}

// CreateIgnitionConfigs runs `openshift-install create ignition-configs --dir DIR`.
func (d *Driver) CreateIgnitionConfigs(ctx context.Context, dir string) error {
	if _, err := d.Runner.Run(ctx, d.cmd(false, "create", "ignition-configs", "--dir", dir)); err != nil {
		return fmt.Errorf("failed to create ignition configs: %w", err)
	}
	return nil
}

func (d *Driver) cmd(readOnly bool, args ...string) bastion.Cmd {
	return bastion.Cmd{Name: d.Binary, Args: args, Env: d.Env, Secrets: d.Secrets, ReadOnly: readOnly}
}
