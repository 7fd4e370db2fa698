package synthrelease

import (
	"crypto/sha256"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/okdctl/okdctl/internal/testenv"
)

func TestStreamLayerIsDeterministicAndMatchesItsDigest(t *testing.T) {
	t.Parallel()
	a, err := newStreamLayer(42, 3<<20+5)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := newStreamLayer(42, 3<<20+5)
	c, _ := newStreamLayer(43, 3<<20+5)
	if a.digest != b.digest || a.diffID != b.diffID {
		t.Errorf("the same seed gave %s and %s", a.digest, b.digest)
	}
	if a.digest == c.digest {
		t.Errorf("seeds 42 and 43 gave the same digest %s", a.digest)
	}
	rc, _ := a.Compressed()
	h := sha256.New()
	// odd read sizes must not change the bytes
	n, err := io.Copy(h, iotest.OneByteReader(io.LimitReader(rc, 1000)))
	if err != nil {
		t.Fatal(err)
	}
	m, err := io.Copy(h, rc)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("sha256:%x", h.Sum(nil)); got != a.digest.String() || n+m != a.csize {
		t.Errorf("Compressed gave %s (%d bytes), want %s (%d)", got, n+m, a.digest, a.csize)
	}
	if a.csize < a.size || a.csize > a.size+a.size/100+4096 {
		t.Errorf("stored gzip of %d bytes is %d bytes", a.size, a.csize)
	}
}

func TestReleaseSizedIsReleaseSized(t *testing.T) {
	t.Parallel()
	const n = 190
	l := ReleaseSized(n)
	if size := l.Size(n); size < 2e9 || size > 3e9 {
		t.Errorf("ReleaseSized(%d) holds %d bytes, want 2-3 GB", n, size)
	}
	shared := l.Size(n)
	for _, u := range l.Unique {
		shared -= u
	}
	if shared < 200*mib {
		t.Errorf("shared layers hold %d bytes: a release shares its base layers", shared)
	}
}

func TestPushMultiArchReleaseSizedScaled(t *testing.T) {
	t.Parallel()
	src := StartSource(t)
	ctx := testenv.Context(t, time.Minute)
	o := Options{Registry: src, Components: 20, Layout: ReleaseSized(20).Scaled(1024), Seed: 7, Architectures: []string{"amd64", "arm64"}}
	rel, err := Push(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rel.Arches) != 2 || len(rel.Components) != 20 || rel.Arches[0].Digest == rel.Arches[1].Digest {
		t.Fatalf("release %+v", rel)
	}
	// per architecture: 2 base + 8 group + 20 unique layers, 20 component configs, the release's layer and config
	if want := 2 + 8 + 20 + 20 + 2; rel.Arches[0].Blobs != want || rel.Blobs != 2*want {
		t.Errorf("blobs %d per arch, %d in all; want %d and %d", rel.Arches[0].Blobs, rel.Blobs, want, 2*want)
	}
	ref, _ := name.ParseReference(rel.Image)
	idx, err := remote.Index(ref, remote.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 2 || im.Manifests[1].Platform.Architecture != "arm64" || im.Manifests[1].Digest.String() != rel.Arches[1].Digest {
		t.Errorf("index %+v", im.Manifests)
	}
	again, err := Push(ctx, o)
	if err != nil || again.Digest != rel.Digest {
		t.Errorf("the same seed pushed %s, then %s (%v)", rel.Digest, again.Digest, err)
	}
}
