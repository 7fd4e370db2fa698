package registry

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/okdctl/okdctl/internal/synthrelease"
	"github.com/okdctl/okdctl/internal/testenv"
)

func TestMirrorCompleteThenNoUploads(t *testing.T) {
	t.Parallel()
	src := startSourceRegistry(t)
	rel := pushPayload(t, src, synthrelease.Options{Components: 6})
	tr := startTestRegistry(t)
	ctx := testenv.Context(t, 2*time.Minute)
	o := tr.mirrorOptions(t, rel.Image)
	var last Progress
	o.Progress = func(p Progress) { last = p }

	_, off := tr.uploads(0)
	m, err := Mirror(ctx, o)
	if err != nil {
		t.Fatalf("Mirror: %v\n%s", err, tr.ServiceLog())
	}
	up, off := tr.uploads(off)
	// each image is written once, straight under its tag (assertMapping
	// then pulls every one by digest)
	if up.Manifests != 7 || last.ManifestsWritten != 7 {
		t.Errorf("first mirror wrote %d manifests (progress says %d), want 7 (each image once, under its tag)", up.Manifests, last.ManifestsWritten)
	}
	if up.Starts != rel.Blobs || len(up.Commits) != rel.Blobs {
		t.Errorf("first mirror started %d and committed %d uploads, want %d each (every distinct blob once)", up.Starts, len(up.Commits), rel.Blobs)
	}
	if last.ImagesDone != 7 || last.ImagesTotal != 7 || last.BytesDone != last.BytesTotal || last.BytesTotal != rel.Bytes || last.BlobsUploaded != rel.Blobs {
		t.Errorf("final progress %+v, want 7/7 images and %d bytes in %d blobs", last, rel.Bytes, rel.Blobs)
	}
	if missing, err := CheckMirrored(ctx, o, m); err != nil || len(missing) != 0 {
		t.Fatalf("CheckMirrored: missing %v, err %v", missing, err)
	}
	assertMapping(t, tr, m, rel)

	last = Progress{}
	start := time.Now()
	if _, err := Mirror(ctx, o); err != nil {
		t.Fatal(err)
	}
	up, _ = tr.uploads(off)
	if up.Starts != 0 || up.Manifests != 0 || last.Changed() || last.ImagesDone != last.ImagesTotal {
		t.Errorf("a finished mirror re-ran with %d blob uploads and %d manifest writes (progress %+v)", up.Starts, up.Manifests, last)
	}
	t.Logf("re-run of a finished mirror: %s", time.Since(start))
}

// assertMapping checks the mapping against the payload and pulls every
// mirrored image back by digest through okdctl's CA and credentials.
func assertMapping(t *testing.T, tr *testRegistry, m *Mapping, rel *synthrelease.Release) {
	t.Helper()
	e := tr.Res.Endpoint
	repo := e.Host() + "/openshift/okd"
	if m.ReleaseDigest != rel.Digest || m.ReleaseMirror != repo+"@"+rel.Digest || m.Repository != repo || len(m.Images) != len(rel.Components) {
		t.Errorf("mapping release %s -> %s in %s, %d images", m.ReleaseDigest, m.ReleaseMirror, m.Repository, len(m.Images))
	}
	wantSources := map[string]bool{tr.srcRepo(rel.Image): true, tr.srcRepo(rel.Components[0].Image): true}
	if len(m.Sources) != 2 || !wantSources[m.Sources[0].Source] || !wantSources[m.Sources[1].Source] {
		t.Errorf("mirror sources %+v", m.Sources)
	}
	for _, s := range m.MirrorSources() {
		if len(s.Mirrors) != 1 || s.Mirrors[0] != repo {
			t.Errorf("source %s mirrors to %v, want %s", s.Source, s.Mirrors, repo)
		}
	}
	c, _, err := tr.mirrorOptionsPtr(t, rel.Image).clients(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range m.Digests() {
		ref, _ := name.NewDigest(d)
		img, err := c.dst.Get(context.Background(), ref)
		if err != nil {
			t.Errorf("pull %s: %v", d, err)
			continue
		}
		if img.Digest.String() != ref.DigestStr() {
			t.Errorf("pulled %s for %s", img.Digest, d)
		}
	}
	tag, _ := name.NewTag(repo + ":4.16.0-0.okd-synthetic-component-00")
	if _, err := c.dst.Head(context.Background(), tag); err != nil {
		t.Errorf("component tag: %v", err)
	}
}

func (tr *testRegistry) srcRepo(image string) string {
	ref, _ := name.ParseReference(image)
	return ref.Context().String()
}

func (tr *testRegistry) mirrorOptionsPtr(t *testing.T, release string) *MirrorOptions {
	o := tr.mirrorOptions(t, release)
	return &o
}

func TestMirrorResumesAfterCancel(t *testing.T) {
	t.Parallel()
	src := startSourceRegistry(t)
	rel := pushPayload(t, src, synthrelease.Options{Components: 5})
	tr := startTestRegistry(t)
	ctx := testenv.Context(t, 2*time.Minute)
	o := tr.mirrorOptions(t, rel.Image)
	o.Concurrency = 2
	cctx, cancel := context.WithCancel(ctx)
	o.Progress = func(p Progress) {
		if p.BlobsUploaded >= 4 {
			cancel()
		}
	}
	_, off := tr.uploads(0)
	if _, err := Mirror(cctx, o); err == nil {
		t.Fatal("the cancelled mirror reported success")
	}
	first, off := tr.uploads(off)
	if len(first.Commits) < 4 || len(first.Commits) >= rel.Blobs {
		t.Fatalf("the interrupted mirror committed %d of %d blobs; want a part", len(first.Commits), rel.Blobs)
	}
	var last Progress
	o.Progress = func(p Progress) { last = p }
	m, err := Mirror(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := tr.uploads(off)
	resent := map[string]bool{}
	for d := range second.Commits {
		if first.Commits[d] {
			resent[d] = true
		}
	}
	if len(resent) > 0 {
		t.Errorf("the resumed mirror re-sent %d blobs already there: %s", len(resent), digestsOf(resent))
	}
	if len(first.Commits)+len(second.Commits) != rel.Blobs || last.BlobsSkipped < len(first.Commits) {
		t.Errorf("blobs sent: %d then %d, want %d in all; second run skipped %d", len(first.Commits), len(second.Commits), rel.Blobs, last.BlobsSkipped)
	}
	if missing, err := CheckMirrored(ctx, o, m); err != nil || len(missing) != 0 {
		t.Fatalf("after resuming: missing %v, err %v", missing, err)
	}
	t.Logf("interrupted after %d blobs, resumed with %d more (%d skipped)", len(first.Commits), len(second.Commits), last.BlobsSkipped)
}
