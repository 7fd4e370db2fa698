package installer

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/synthrelease"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/spec"
	"github.com/okdctl/okdctl/spec/release"
)

// versionPhase records the release version it was given.
type versionPhase struct{ got *[]string }

func (p versionPhase) Name() string { return "version" }
func (p versionPhase) Run(ctx context.Context, rc *RunContext) error {
	f, note := rc.ReleaseFacts()
	v := "none"
	if f != nil {
		v = f.Version
	}
	*p.got = append(*p.got, rc.Release().String()+" "+v+" "+note)
	return nil
}

// TestReleaseFactsReadOnce: a digest-pinned release takes its version from
// the image; the facts are kept in the state, so the next run reads nothing.
func TestReleaseFactsReadOnce(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	pinned := "quay.io/openshift/okd@sha256:" + strings.Repeat("ab", 32)
	reads := 0
	reader := func(fail error) ReleaseReader {
		return func(ctx context.Context, image string) (*release.Facts, error) {
			reads++
			if fail != nil {
				return nil, fail
			}
			return &release.Facts{Image: image, Version: "4.14.0-0.okd-2024-01-26-175629", Digest: "sha256:" + strings.Repeat("ab", 32), Source: release.MetadataPath}, nil
		}
	}
	var got []string
	apply := func(read ReleaseReader) error {
		c := validCluster()
		c.Spec.Release = spec.Release{Image: pinned}
		var out bytes.Buffer
		r := &Runner{Cluster: c, Host: bastion.NewHost(bastion.HostOptions{Root: root}), Log: NewLogger(LoggerOptions{Out: &out}),
			Phases: []Phase{versionPhase{&got}}, ReadRelease: read}
		_, err := r.Apply(context.Background(), ApplyOptions{Force: []string{"version"}})
		return err
	}
	if err := apply(reader(errors.New("dial tcp: lookup quay.io: no such host"))); err == nil ||
		!strings.Contains(err.Error(), "is pinned by digest without spec.release.version, and okdctl could not read the version from the image (dial tcp: lookup quay.io: no such host): set spec.release.version") {
		t.Fatalf("an unreadable pinned release: %v", err)
	}
	if err := apply(nil); err == nil || !strings.Contains(err.Error(), "(okdctl is offline (--offline))") {
		t.Fatalf("offline: %v", err)
	}
	if err := apply(reader(nil)); err != nil {
		t.Fatal(err)
	}
	if err := apply(reader(errors.New("must not be read again"))); err != nil {
		t.Fatal(err)
	}
	want := []string{"4.14 4.14.0-0.okd-2024-01-26-175629 read from the registry",
		"4.14 4.14.0-0.okd-2024-01-26-175629 read by an earlier run (cached in the state)"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || reads != 2 {
		t.Errorf("runs saw\n%s\nwant\n%s\n(%d reads)", strings.Join(got, "\n"), strings.Join(want, "\n"), reads)
	}
	// day 2 takes the version from the state too
	c := validCluster()
	c.Spec.Release = spec.Release{Image: pinned}
	rc, err := NewRunContext(c, bastion.NewHost(bastion.HostOptions{Root: root}), nil, RunContextOptions{})
	if err != nil || rc.Release() != (release.Version{Major: 4, Minor: 14}) {
		t.Errorf("day 2: %v %v", rc, err)
	}
}

// TestReleaseReader reads a synthetic release from a real registry: the
// metadata's version, not the tag's, and the manifest digest; the sandbox
// reader refuses registries that are not on loopback.
func TestReleaseReader(t *testing.T) {
	t.Parallel()
	src := synthrelease.StartSource(t)
	ctx := testenv.Context(t, time.Minute)
	rel, err := synthrelease.Push(ctx, synthrelease.Options{Registry: src, Tag: "4.16.0-0.okd-sandbox",
		Version: "4.15.0-0.okd-2024-03-10-010116", Components: 3})
	if err != nil {
		t.Fatal(err)
	}
	read := NewReleaseReader(validCluster(), true)
	f, err := read(ctx, rel.Image)
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != "4.15.0-0.okd-2024-03-10-010116" || f.Digest != rel.Digest || f.Image != rel.Image || len(f.Components) != 3 || f.Source != release.MetadataPath {
		t.Errorf("facts %+v, release %+v", f, rel)
	}
	err = release.SpecRelease{Image: rel.Image}.CheckFacts(f)
	if err == nil || !strings.Contains(err.Error(), "the image tag says 4.16 but the release image "+rel.Image+" is 4.15.0-0.okd-2024-03-10-010116") {
		t.Errorf("a lying tag: %v", err)
	}
	if _, err := read(ctx, src+"/okd/none:4.16.0"); err == nil || !strings.Contains(err.Error(), "failed to read the release image "+src+"/okd/none:4.16.0") {
		t.Errorf("a missing release: %v", err)
	}
	if _, err := read(ctx, "quay.io/openshift/okd:4.15.0-0.okd-2024-03-10-010116"); err == nil || !strings.Contains(err.Error(), "the sandbox contacts loopback registries only, and quay.io is not one") {
		t.Errorf("the sandbox reader went past loopback: %v", err)
	}
}
