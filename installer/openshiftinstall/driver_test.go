package openshiftinstall

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/spec/release"
)

const realVersion = `openshift-install 4.14.0-0.okd-2024-01-26-175629
built from commit 2a6df5fb7d9ddc8da25d0fa9e5e3c9b0a0a2d0e5
release image quay.io/openshift/okd@sha256:d9f4e4e4d8a6cd1ed1c4b0a7c3f3c3d4c1e0c8f2a9d2e1f6c2b3a4d5e6f7a8b9
release architecture amd64
`

func TestParseVersion(t *testing.T) {
	t.Parallel()
	v := ParseVersion(realVersion)
	if v.Version != "4.14.0-0.okd-2024-01-26-175629" || !strings.HasPrefix(v.ReleaseImage, "quay.io/openshift/okd@sha256:") || v.Commit == "" {
		t.Fatalf("ParseVersion = %+v", v)
	}
	if ok, err := v.CheckRelease(release.Version{Major: 4, Minor: 14}); !ok || err != nil {
		t.Errorf("same release: %v %v", ok, err)
	}
	ok, err := v.CheckRelease(release.Version{Major: 4, Minor: 5})
	if !ok || err == nil || !strings.Contains(err.Error(), "openshift-install is 4.14.0-0.okd-2024-01-26-175629 but the release is 4.5") {
		t.Errorf("other release: %v %v", ok, err)
	}
	if ok, err := ParseVersion("openshift-install unreleased-master-1234\n").CheckRelease(release.Version{Major: 4, Minor: 5}); ok || err != nil {
		t.Errorf("development build: %v %v", ok, err)
	}
}

func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "openshift-install")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDriverErrorShowsStderrMasked(t *testing.T) {
	t.Parallel()
	bin := script(t, `echo "level=fatal msg=failed to fetch Master Machines: pull secret TOPSECRET is invalid" >&2; exit 3`)
	d := &Driver{Binary: bin, Runner: bastion.ExecRunner{}, Secrets: []string{"TOPSECRET"}}
	err := d.CreateManifests(context.Background(), "/tmp/nowhere")
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "failed to create manifests: ") || !strings.Contains(msg, "failed to fetch Master Machines") {
		t.Errorf("error lacks the cause: %s", msg)
	}
	if strings.Contains(msg, "TOPSECRET") || !strings.Contains(msg, "*****") {
		t.Errorf("secret not masked: %s", msg)
	}
}

func TestDriverVersionRunsInDryRun(t *testing.T) {
	t.Parallel()
	bin := script(t, `echo "openshift-install 4.5.0-0.okd-2020-07-14-153706-ga"`)
	rec := &bastion.Recorder{}
	d := &Driver{Binary: bin, Runner: &bastion.RecordingRunner{Base: bastion.ExecRunner{}, Rec: rec}}
	v, err := d.Version(context.Background())
	if err != nil || v.Version != "4.5.0-0.okd-2020-07-14-153706-ga" {
		t.Fatalf("Version = %+v, %v", v, err)
	}
	if err := d.CreateIgnitionConfigs(context.Background(), "/x"); err != nil {
		t.Fatal(err)
	}
	items := rec.Take()
	if len(items) != 1 || !strings.Contains(items[0].Summary, "create ignition-configs --dir /x") {
		t.Errorf("dry run recorded %+v", items)
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	if _, err := Find("no-such-openshift-install-here"); err == nil || !strings.Contains(err.Error(), "spec.openshiftInstall") {
		t.Errorf("missing binary: %v", err)
	}
	if p, err := Find("/opt/bin/openshift-install"); err != nil || p != "/opt/bin/openshift-install" {
		t.Errorf("explicit path: %s %v", p, err)
	}
}
