package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/internal/synthrelease"
	"github.com/okdctl/okdctl/internal/testenv"
)

// releaseSandbox is a sandbox spec whose release comes from a loopback
// source registry, for the preflight checks: no cluster is started.
type releaseSandbox struct {
	*rehearsal
	rel    *synthrelease.Release
	source *testenv.Process
}

func newReleaseSandbox(t *testing.T, o synthrelease.Options) *releaseSandbox {
	t.Helper()
	r := &rehearsal{t: t, dir: t.TempDir(), root: t.TempDir(), okdctl: buildOkdctl(t)}
	src, proc := synthrelease.StartSourceProcess(t)
	o.Registry = src
	o.Tag = "4.16.0-0.okd-sandbox"
	rel, err := synthrelease.Push(testenv.Context(t, time.Minute), o)
	if err != nil {
		t.Fatalf("failed to push the synthetic release: %v", err)
	}
	r.writeSpec(rel.Image)
	r.env = append(os.Environ(), "PATH="+filepath.Join(testenv.RepoRoot(), "bin")+":"+os.Getenv("PATH"),
		"FAKEINSTALL_VERSION=4.16.0-0.okd-sandbox", "FAKEINSTALL_RELEASE_IMAGE="+releaseByDigest(rel))
	t.Cleanup(r.down)
	return &releaseSandbox{rehearsal: r, rel: rel, source: proc}
}

// failsPreflight runs apply, which must stop in preflight with every want
// in its output, having started nothing.
func (s *releaseSandbox) failsPreflight(t *testing.T, want ...string) string {
	t.Helper()
	out, code := s.run("apply")
	if code != 1 {
		t.Fatalf("apply exit %d, want 1:\n%s", code, out)
	}
	for _, w := range append([]string{"ERROR: phase preflight: ", "the release, openshift-install and CoreOS do not match:"}, want...) {
		if !strings.Contains(out, w) {
			t.Errorf("the apply output lacks %q:\n%s", w, out)
		}
	}
	if st := s.state().Phase("preflight").Status; st != installer.StatusFailed {
		t.Errorf("preflight ended %s", st)
	}
	if pids := s.servicePIDs(); len(pids) != 0 {
		t.Errorf("a failed preflight started services: %v", pids)
	}
	return out
}

// TestReleaseMetadataDisagrees: the synthetic release's own metadata says
// 4.15 while its tag, and then spec.release.version, say 4.16.
func TestReleaseMetadataDisagrees(t *testing.T) {
	s := newReleaseSandbox(t, synthrelease.Options{Version: "4.15.0-0.okd-2024-03-10-010116", Components: 2})
	plan, code := s.run("plan") // a phase that would fail: plan exits 1
	if code != 1 || !strings.Contains(plan, "WOULD FAIL") || !strings.Contains(plan, "the image tag says 4.16 but the release image "+s.rel.Image+" is 4.15.0-0.okd-2024-03-10-010116") ||
		!strings.Contains(plan, "ERROR: the plan has ") || !strings.Contains(plan, "would fail: preflight") {
		t.Errorf("plan does not show the mismatch (exit %d):\n%s", code, plan)
	}
	s.failsPreflight(t, "the image tag says 4.16 but the release image "+s.rel.Image+" is 4.15.0-0.okd-2024-03-10-010116 (its release-manifests/release-metadata): set spec.release.version to 4.15")

	// a digest-pinned image with a version that is not its own
	s.cluster.Spec.Release.Image = releaseByDigest(s.rel)
	s.cluster.Spec.Release.Version = "4.16"
	s.rewriteSpec()
	s.failsPreflight(t, "spec.release.version says 4.16 but the release image "+releaseByDigest(s.rel)+" is 4.15.0-0.okd-2024-03-10-010116")
}

// TestInstallerOfAnotherRelease: the openshift-install double reports
// another build of the release, then another release.
func TestInstallerOfAnotherRelease(t *testing.T) {
	s := newReleaseSandbox(t, synthrelease.Options{Components: 2})
	other := s.rel.Image[:strings.LastIndex(s.rel.Image, ":")] + "@sha256:" + strings.Repeat("0f", 32)
	s.env = append(s.env, "FAKEINSTALL_RELEASE_IMAGE="+other)
	s.failsPreflight(t, "openshift-install 4.16.0-0.okd-sandbox installs release image "+other+", not the spec's release "+s.rel.Image+" ("+s.rel.Digest+")",
		"`oc adm release extract --command=openshift-install "+s.rel.Image+"`")

	s.env = append(s.env, "FAKEINSTALL_RELEASE_IMAGE="+releaseByDigest(s.rel), "FAKEINSTALL_VERSION=4.15.0-0.okd-2024-03-10-010116")
	s.failsPreflight(t, "openshift-install 4.15.0-0.okd-2024-03-10-010116 (release image "+releaseByDigest(s.rel)+") installs release 4.15, but the spec's release "+s.rel.Image+" is 4.16")
}

// TestPinnedReleaseReadOnce: a digest-pinned release without a version
// takes its version from the image; the facts are kept in the state, so
// a re-run needs no registry.
func TestPinnedReleaseReadOnce(t *testing.T) {
	s := newReleaseSandbox(t, synthrelease.Options{Components: 2})
	s.cluster.Spec.Release.Image = releaseByDigest(s.rel)
	s.rewriteSpec()
	out := s.mustRun("apply", "--only", "preflight")
	for _, w := range []string{"release image " + releaseByDigest(s.rel) + " is 4.16.0-0.okd-sandbox (" + s.rel.Digest + ", release-manifests/release-metadata, 2 components; read from the registry)",
		"openshift-install 4.16.0-0.okd-sandbox installs release image " + releaseByDigest(s.rel) + ": the spec's release",
		"cannot tell which CoreOS", "turn UEFI Secure Boot off"} {
		if !strings.Contains(out, w) {
			t.Errorf("the apply output lacks %q:\n%s", w, out)
		}
	}
	st := s.state()
	if st.Release == nil || st.Release.Version != "4.16.0-0.okd-sandbox" || st.Release.Digest != s.rel.Digest {
		t.Fatalf("the state keeps %+v", st.Release)
	}
	s.source.Stop() // the "internet" goes away
	again := s.mustRun("apply", "--only", "preflight", "--force", "preflight")
	if !strings.Contains(again, "read by an earlier run (cached in the state)") {
		t.Errorf("the re-run did not use the cached facts:\n%s", again)
	}
	// a fresh state cannot read the image now: the version is needed
	os.Remove(installer.StateFile(s.stateDir()))
	out, code := s.run("plan")
	if code != 1 || !strings.Contains(out, "is pinned by digest without spec.release.version, and okdctl could not read the version from the image") {
		t.Errorf("plan without the registry: exit %d\n%s", code, out)
	}
}

// rewriteSpec writes the changed spec back.
func (r *rehearsal) rewriteSpec() {
	r.t.Helper()
	data, err := yaml.Marshal(r.cluster)
	if err != nil {
		r.t.Fatal(err)
	}
	writeFile(r.t, r.spec, data, 0o644)
}
