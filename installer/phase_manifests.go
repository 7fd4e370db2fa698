package installer

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/okdctl/okdctl/ignition"
	"github.com/okdctl/okdctl/installer/openshiftinstall"
	"github.com/okdctl/okdctl/spec"
)

// ManifestsPhase is the manifests phase: openshift-install create manifests, then okdctl's patches.
// Every run that has something to do starts from a fresh install directory
// (the old one is moved aside): openshift-install must never reuse one.
type ManifestsPhase struct{}

var (
	_ InputProvider = (*ManifestsPhase)(nil)
	_ Checker       = (*ManifestsPhase)(nil)
)

// Name implements Phase.
func (*ManifestsPhase) Name() string { return PhaseManifests }

// Inputs implements InputProvider.
func (p *ManifestsPhase) Inputs(rc *RunContext) (any, error) {
	plan, err := planManifests(rc)
	if err != nil {
		return nil, err
	}
	return map[string]string{"manifests": plan.digest, "openshiftInstall": rc.Spec().OpenShiftInstall}, nil
}

// Done implements Checker: the install directory was made from these inputs
// and still holds the manifests (or the ignition made from them).
func (p *ManifestsPhase) Done(ctx context.Context, rc *RunContext) (bool, error) {
	plan, err := planManifests(rc)
	if err != nil {
		return false, err
	}
	return installDirCurrent(rc, plan.digest), nil
}

// Run implements Phase.
func (p *ManifestsPhase) Run(ctx context.Context, rc *RunContext) error {
	plan, err := planManifests(rc)
	if err != nil {
		return err
	}
	st := readStamp(rc)
	switch {
	case installed(rc, st) && st.Digest != plan.digest:
		rc.Log().Warnf("the cluster has bootstrapped from %s: it is kept as it is and openshift-install is not run again (new workers get their ignition from it; okdctl add-node); to start a new install, run with --force manifests", rc.InstallDir())
		return nil
	case !installDirCurrent(rc, plan.digest):
		return makeManifests(ctx, rc, plan, "its inputs changed")
	case st.Stage == stageIgnition && !Bootstrapped(rc):
		if f, _, err := ignitionFreshness(rc); err != nil || f != ignition.Fresh {
			return makeManifests(ctx, rc, plan, "its ignition is "+freshnessWord(f, err))
		}
	case st.Stage == stageManifests:
		return patchManifests(rc, plan)
	}
	rc.Log().Infof("%s already holds what these inputs make", rc.InstallDir())
	return nil
}

// manifestsPlan is what okdctl adds to openshift-install's manifests.
type manifestsPlan struct {
	schedulable bool
	files       map[string][]byte // relative to the install directory
	digest      string
}

// planManifests translates the Butane files and picks the release's extra
// manifests; nothing is written.
func planManifests(rc *RunContext) (*manifestsPlan, error) {
	s := rc.Spec()
	workers := len(s.NodesWithRole(spec.RoleWorker))
	plan := &manifestsPlan{schedulable: workers == 0, files: map[string][]byte{}}
	for _, file := range s.MachineConfigs {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("failed to read a Butane file of spec.machineConfigs: %w", err)
		}
		name, mc, err := ignition.MachineConfig(file, data)
		if err != nil {
			return nil, err
		}
		rel := filepath.Join("openshift", "99_okdctl_"+name+".yaml")
		if _, dup := plan.files[rel]; dup {
			return nil, fmt.Errorf("failed to add %s: another file of spec.machineConfigs is also named %s", file, name)
		}
		plan.files[rel] = mc
	}
	ingressNodes := workers
	if ingressNodes == 0 {
		ingressNodes = len(s.NodesWithRole(spec.RoleMaster))
	}
	if !rc.Release().HasTopology() && ingressNodes == 1 {
		plan.files[openshiftinstall.IngressControllerManifest] = openshiftinstall.IngressController(1)
	}
	ic, err := rc.Host().Files.ReadFile(rc.StatePath(FileInstallConfig))
	if err != nil {
		return nil, fmt.Errorf("failed to read okdctl's install-config.yaml: %w (run the installconfig phase first)", err)
	}
	sums := map[string]string{"install-config.yaml": sha256Hex(ic), "mastersSchedulable": fmt.Sprint(plan.schedulable)}
	for name, data := range plan.files {
		sums[name] = sha256Hex(data)
	}
	doc, _ := json.Marshal(sums)
	plan.digest = sha256Hex(doc)
	return plan, nil
}

// installDirCurrent reports whether the install directory was made from
// digest and still holds its last stage's output.
func installDirCurrent(rc *RunContext, digest string) bool {
	st := readStamp(rc)
	if installed(rc, st) {
		return true
	}
	if st.Digest != digest {
		return false
	}
	switch st.Stage {
	case stageManifests:
		return exists(filepath.Join(rc.InstallDir(), openshiftinstall.SchedulerManifest))
	case stageIgnitionStarted:
		// the manifests may be consumed; openshift-install's state keeps them
		return exists(filepath.Join(rc.InstallDir(), openshiftInstallState))
	case stageIgnition:
		return exists(filepath.Join(rc.InstallDir(), "bootstrap.ign"))
	}
	return false
}

// installed reports whether the cluster was installed from this install
// directory: once bootstrap is done it is never remade (that would mean a
// new CA and ignition that no running node trusts) unless the user forces
// the manifests phase to start a new install. Nodes added to the spec
// later get their ignition from it.
func installed(rc *RunContext, st installStamp) bool {
	return Bootstrapped(rc) && !rc.Forced(PhaseManifests) && st.Stage == stageIgnition &&
		exists(filepath.Join(rc.InstallDir(), "bootstrap.ign"))
}

// makeManifests runs create manifests in a fresh install directory, then
// adds okdctl's patches and manifests.
func makeManifests(ctx context.Context, rc *RunContext, plan *manifestsPlan, why string) error {
	drv, err := newDriver(ctx, rc)
	if err != nil {
		return err
	}
	if _, err := rc.Host().Files.Remove(rc.StatePath(fileInstallStamp)); err != nil {
		return err
	}
	if err := freshInstallDir(ctx, rc, why); err != nil {
		return err
	}
	if err := drv.CreateManifests(ctx, rc.InstallDir()); err != nil {
		return fmt.Errorf("%w\nokdctl keeps install-config.yaml in %s: fix the cause and run again", err, rc.StatePath(FileInstallConfig))
	}
	if rc.DryRun() {
		rc.Host().Note(fmt.Sprintf("set mastersSchedulable: %t in %s; add %d manifests", plan.schedulable, openshiftinstall.SchedulerManifest, len(plan.files)))
		return nil
	}
	if err := patchManifests(rc, plan); err != nil {
		return err
	}
	return writeStamp(rc, installStamp{Digest: plan.digest, Stage: stageManifests, Made: rc.Now().UTC()})
}

// patchManifests sets mastersSchedulable and writes okdctl's manifests;
// unchanged files are not rewritten.
func patchManifests(rc *RunContext, plan *manifestsPlan) error {
	path := filepath.Join(rc.InstallDir(), openshiftinstall.SchedulerManifest)
	data, err := rc.Host().Files.ReadFile(path)
	if err != nil {
		return fmt.Errorf("failed to read the scheduler manifest: %w", err)
	}
	patched, err := openshiftinstall.PatchScheduler(data, plan.schedulable)
	if err != nil {
		return err
	}
	if _, err := rc.Host().Files.WriteFile(path, patched, 0o640); err != nil {
		return err
	}
	names := make([]string, 0, len(plan.files))
	for name := range plan.files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, err := rc.Host().Files.WriteFile(filepath.Join(rc.InstallDir(), name), plan.files[name], 0o640); err != nil {
			return err
		}
	}
	rc.Log().Infof("manifests ready in %s: mastersSchedulable %t, %d added by okdctl", rc.InstallDir(), plan.schedulable, len(names))
	return nil
}

func freshnessWord(f ignition.Freshness, err error) string {
	if err != nil {
		return "unreadable (" + err.Error() + ")"
	}
	return f.String()
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
