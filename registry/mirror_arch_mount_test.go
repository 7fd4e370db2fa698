package registry

import (
	"regexp"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/okdctl/okdctl/internal/synthrelease"
	"github.com/okdctl/okdctl/internal/testenv"
)

// A multi-arch release (an index of one release image per architecture,
// each listing its own components) is mirrored for the cluster's
// architecture only, unless all are asked for.
func TestMirrorOnlyTheClusterArchitecture(t *testing.T) {
	t.Parallel()
	src := startSourceRegistry(t)
	rel := pushPayload(t, src, synthrelease.Options{Components: 3, Architectures: []string{"amd64", "arm64"}})
	amd, arm := rel.Arches[0], rel.Arches[1]
	tr := startTestRegistry(t)
	ctx := testenv.Context(t, 2*time.Minute)
	o := tr.mirrorOptions(t, rel.Image)
	o.Platform = &v1.Platform{OS: "linux", Architecture: "amd64"}

	size, err := PayloadSize(ctx, o)
	if err != nil || size.Images != 4 || size.Blobs != amd.Blobs || size.Bytes != amd.Bytes {
		t.Errorf("PayloadSize = %+v, %v; want 4 images and the %d blobs (%d bytes) of amd64", size, err, amd.Blobs, amd.Bytes)
	}
	_, off := tr.uploads(0)
	m, err := Mirror(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	up, off := tr.uploads(off)
	if m.ReleaseDigest != amd.Digest || len(m.Images) != 3 || len(up.Commits) != amd.Blobs {
		t.Errorf("amd64 only: release %s (want %s), %d images, %d blobs sent (want %d of the %d in all)",
			m.ReleaseDigest, amd.Digest, len(m.Images), len(up.Commits), amd.Blobs, rel.Blobs)
	}
	c, _, err := o.clients(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{arm.Digest, arm.Components[0].Image[len(arm.Components[0].Image)-71:], rel.Digest} {
		if there, err := c.exists(ctx, c.dstRepo.Digest(d)); err != nil || there {
			t.Errorf("%s is in the amd64-only mirror (err %v)", d, err)
		}
	}

	o.AllArchitectures, o.Repository = true, "openshift/okd-all"
	m, err = Mirror(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	up, _ = tr.uploads(off)
	if m.ReleaseDigest != rel.Digest || len(m.Images) != 6 || len(up.Commits) != rel.Blobs {
		t.Errorf("all architectures: release %s (want the index %s), %d images, %d blobs sent (want %d)", m.ReleaseDigest, rel.Digest, len(m.Images), len(up.Commits), rel.Blobs)
	}
	if missing, err := CheckMirrored(ctx, o, m); err != nil || len(missing) > 0 {
		t.Errorf("all architectures: missing %v (err %v)", missing, err)
	}
}

var mountRE = regexp.MustCompile(`"POST /v2/openshift/okd-next/blobs/uploads/\?[^ ]*mount=sha256[^ ]* HTTP/[0-9.]+" 201`)

// A mirror into a new repository mounts what an earlier mirror in the same
// registry holds: every blob is linked, none is sent.
func TestMirrorMountsFromAnEarlierMirror(t *testing.T) {
	t.Parallel()
	src := startSourceRegistry(t)
	rel := pushPayload(t, src, synthrelease.Options{Components: 4})
	tr := startTestRegistry(t)
	ctx := testenv.Context(t, 2*time.Minute)
	o := tr.mirrorOptions(t, rel.Image)
	if _, err := Mirror(ctx, o); err != nil {
		t.Fatal(err)
	}
	_, off := tr.uploads(0)
	o.Repository, o.MountFrom = "openshift/okd-next", "openshift/okd"
	var last Progress
	o.Progress = func(p Progress) { last = p }
	m, err := Mirror(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	log := tr.ServiceLog()[off:]
	if up, _ := tr.uploads(off); len(up.Commits) > 0 || last.BytesUploaded > 0 {
		t.Errorf("the second mirror sent %d blobs (%d bytes), want every blob mounted", len(up.Commits), last.BytesUploaded)
	}
	if n := len(mountRE.FindAllString(log, -1)); n != rel.Blobs {
		t.Errorf("%d blobs mounted, want %d", n, rel.Blobs)
	}
	if missing, err := CheckMirrored(ctx, o, m); err != nil || len(missing) > 0 {
		t.Errorf("missing %v (err %v)", missing, err)
	}
	if _, err := name.NewRepository(m.Repository); err != nil {
		t.Error(err)
	}
}

// The release-sized shape, scaled down: shared base and group layers are
// sent once each however many images share them.
func TestMirrorReleaseShapeSendsEachBlobOnce(t *testing.T) {
	t.Parallel()
	src := startSourceRegistry(t)
	rel := pushPayload(t, src, synthrelease.Options{Components: 40, Layout: synthrelease.ReleaseSized(40).Scaled(2048), Seed: 3})
	tr := startTestRegistry(t)
	o := tr.mirrorOptions(t, rel.Image)
	var last Progress
	o.Progress = func(p Progress) { last = p }
	_, off := tr.uploads(0)
	if _, err := Mirror(testenv.Context(t, 2*time.Minute), o); err != nil {
		t.Fatal(err)
	}
	up, _ := tr.uploads(off)
	if up.Starts != rel.Blobs || len(up.Commits) != rel.Blobs || last.BytesUploaded != rel.Bytes || last.ImagesDone != 41 {
		t.Errorf("%d uploads started, %d committed, %d bytes sent, %d images; want each of the %d blobs (%d bytes) once, 41 images",
			up.Starts, len(up.Commits), last.BytesUploaded, last.ImagesDone, rel.Blobs, rel.Bytes)
	}
}
