package installer

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/okdctl/okdctl/ignition"
	"github.com/okdctl/okdctl/installer/openshiftinstall"
	"github.com/okdctl/okdctl/registry"
	"gopkg.in/yaml.v3"
)

// fileInstallStamp records what the install directory was made from, so
// that a phase re-run with unchanged inputs leaves it alone, and changed
// inputs make a fresh directory (openshift-install must never reuse one).
const fileInstallStamp = "openshift-install.json"

// Install directory stages. stageIgnitionStarted is written before create
// ignition-configs runs: from then on openshift-install may have consumed
// manifests/ into its state file (.openshift_install_state.json), and the
// way on after an interruption is to run create ignition-configs again in
// the same directory (it makes the same ignition from that state), never to
// remake the manifests (a new install directory, a new cluster CA).
const (
	stageManifests        = "manifests"
	stageIgnitionStarted  = "ignition-started"
	stageIgnition         = "ignition"
	openshiftInstallState = ".openshift_install_state.json"
)

// keepInstallDirBackups is how many old install directories are kept.
const keepInstallDirBackups = 3

type installStamp struct {
	Digest string    `json:"digest"` // of install-config and okdctl's additions
	Stage  string    `json:"stage"`
	Made   time.Time `json:"made"`
}

func readStamp(rc *RunContext) installStamp {
	var st installStamp
	if data, err := rc.Host().Files.ReadFile(rc.StatePath(fileInstallStamp)); err == nil {
		_ = json.Unmarshal(data, &st)
	}
	return st
}

func writeStamp(rc *RunContext, st installStamp) error {
	data, _ := json.MarshalIndent(st, "", "  ")
	_, err := rc.Host().Files.WriteFile(rc.StatePath(fileInstallStamp), append(data, '\n'), 0o644)
	return err
}

// freshInstallDir moves an existing install directory aside (kept as
// <dir>.okdctl-backup-<time>) and starts an empty one holding a copy of
// okdctl's install-config.yaml.
func freshInstallDir(ctx context.Context, rc *RunContext, why string) error {
	dir := rc.InstallDir()
	icData, err := rc.Host().Files.ReadFile(rc.StatePath(FileInstallConfig))
	if err != nil {
		return fmt.Errorf("failed to read okdctl's install-config.yaml: %w (run the installconfig phase first)", err)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		backup := backupName(dir, rc.Now())
		err := rc.Host().Wet(ctx, fmt.Sprintf("move %s aside to %s (%s)", dir, backup, why), "", func(context.Context) error {
			if err := os.Rename(dir, backup); err != nil {
				return fmt.Errorf("failed to move the old install directory aside: %w", err)
			}
			pruneInstallDirBackups(dir)
			return nil
		})
		if err != nil {
			return err
		}
		rc.Log().Infof("moved the old install directory aside to %s (%s)", backup, why)
		rc.Changed()
	}
	if err := rc.Host().Files.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	_, err = rc.Host().Files.WriteFile(filepath.Join(dir, "install-config.yaml"), icData, 0o600)
	return err
}

// backupName is <dir>.okdctl-backup-<UTC time>, unique.
func backupName(dir string, now time.Time) string {
	base := fmt.Sprintf("%s.okdctl-backup-%s", dir, now.UTC().Format("20060102T150405Z"))
	name := base
	for i := 1; ; i++ {
		if _, err := os.Lstat(name); os.IsNotExist(err) {
			return name
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
}

func pruneInstallDirBackups(dir string) {
	old, _ := filepath.Glob(dir + ".okdctl-backup-*")
	sort.Strings(old)
	for len(old) > keepInstallDirBackups {
		_ = os.RemoveAll(old[0])
		old = old[1:]
	}
}

// Bootstrapped reports whether the cluster got past bootstrap: its
// ignition is then no longer served and its age no longer matters.
func Bootstrapped(rc *RunContext) bool {
	return rc.State() != nil && rc.State().Phase(PhaseBootstrap).Status == StatusDone
}

// ignitionFreshness reads the certificates embedded in bootstrap.ign.
func ignitionFreshness(rc *RunContext) (ignition.Freshness, ignition.CertWindow, error) {
	data, err := rc.Host().Files.ReadFile(filepath.Join(rc.InstallDir(), "bootstrap.ign"))
	if err != nil {
		return ignition.Expired, ignition.CertWindow{}, fmt.Errorf("failed to read bootstrap.ign: %w", err)
	}
	w, err := ignition.CertExpiry(data)
	if err != nil {
		return ignition.Expired, w, fmt.Errorf("failed to read the certificates of bootstrap.ign: %w", err)
	}
	return w.Check(rc.Now()), w, nil
}

// newDriver finds openshift-install and checks its version against the release.
func newDriver(ctx context.Context, rc *RunContext) (*openshiftinstall.Driver, error) {
	bin, err := openshiftinstall.Find(rc.Spec().OpenShiftInstall)
	if err != nil {
		return nil, err
	}
	d := &openshiftinstall.Driver{Binary: bin, Runner: rc.Host().Runner}
	if ps, err := rc.Host().Files.ReadFile(rc.StatePath(FileInstallConfig)); err == nil {
		d.Secrets = pullSecretParts(installConfigPullSecret(ps))
	}
	v, err := d.Version(ctx)
	if err != nil {
		return nil, err
	}
	ok, err := v.CheckRelease(rc.Release())
	if err != nil {
		return nil, err
	}
	if !ok {
		rc.Log().Warnf("cannot tell the release of openshift-install %q: not checked against release %s", v.Version, rc.Release())
	}
	return d, releaseOverride(rc, d, v)
}

// releaseOverride makes openshift-install install the mirrored release when
// the binary carries another one; otherwise it warns when the binary's
// version is not the spec's release tag.
func releaseOverride(rc *RunContext, d *openshiftinstall.Driver, v openshiftinstall.VersionInfo) error {
	image := rc.Spec().Release.Image
	if rc.Spec().MirrorEnabled() {
		data, err := readOptional(rc, rc.StatePath(FileMirrorMapping))
		if err != nil {
			return err
		}
		if data != nil {
			m, err := registry.DecodeMapping(data)
			if err != nil {
				return err
			}
			if m.ReleaseDigest != "" && !strings.HasSuffix(v.ReleaseImage, "@"+m.ReleaseDigest) {
				override := imageRepo(image) + "@" + m.ReleaseDigest
				d.Env = append(d.Env, "OPENSHIFT_INSTALL_RELEASE_IMAGE_OVERRIDE="+override)
				rc.Log().Warnf("openshift-install carries release image %s, not the mirrored %s: overriding it with OPENSHIFT_INSTALL_RELEASE_IMAGE_OVERRIDE (better: the release's own openshift-install, `oc adm release extract --command=openshift-install`)", v.ReleaseImage, override)
				return nil
			}
		}
	}
	if tag := imageTag(image); tag != "" && v.Version != "" && tag != v.Version {
		rc.Log().Warnf("openshift-install %s installs its own release, and the spec names %s: use the release's own openshift-install (`oc adm release extract --command=openshift-install %s`)", v.Version, image, image)
	}
	return nil
}

// imageRepo strips an image reference's tag or digest.
func imageRepo(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}

// imageTag is an image reference's tag, if any.
func imageTag(ref string) string {
	if strings.Contains(ref, "@") {
		return ""
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[i+1:]
	}
	return ""
}

// installConfigPullSecret reads the pull secret back from install-config.yaml.
func installConfigPullSecret(data []byte) string {
	var ic openshiftinstall.InstallConfig
	if err := yaml.Unmarshal(data, &ic); err != nil {
		return ""
	}
	return ic.PullSecret
}
