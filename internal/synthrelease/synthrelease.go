package synthrelease

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"
)

// Options shape the payload.
type Options struct {
	// Registry is host:port of the registry to push to.
	Registry string
	// ReleaseRepo and ContentRepo default to okd/release and okd/content.
	ReleaseRepo, ContentRepo string
	// Tag of the release (default 4.16.0-0.okd-synthetic).
	Tag string
	// Version the release says it is in its release-metadata, its
	// io.openshift.release label and its image-references (default: Tag).
	// A Version unlike the Tag makes a release whose tag lies.
	Version    string
	Components int // default 6
	// BaseLayers (default 2) of BaseLayerSize bytes are shared by every image;
	// each component adds one layer of UniqueLayerSize bytes. Layout, when
	// set, replaces these three.
	BaseLayers      int
	BaseLayerSize   int64 // default 256 KiB
	UniqueLayerSize int64 // default 64 KiB
	Layout          *Layout
	// Seed makes the payload reproducible: the same seed and shape give the
	// same digests. 0 picks a random seed.
	Seed uint64
	// Architectures (default amd64): with more than one, the release tag
	// names an index of one release image per architecture, each listing
	// its own components.
	Architectures []string
	// Concurrency bounds the images pushed at once (default 4).
	Concurrency int
	Transport   http.RoundTripper
	Auth        authn.Authenticator
}

// Component is one pushed component image.
type Component struct {
	Name  string
	Image string // <registry>/<content repo>@sha256:...
}

// Release is the pushed payload.
type Release struct {
	Image string // <registry>/<release repo>:<tag>
	// Digest is the tag's digest: the release image, or the index of them.
	Digest string
	// Components, Blobs and Bytes are those of the first architecture.
	Components []Component
	// Blobs and Bytes count the distinct blobs (layers and configs) of the
	// payload, release image included.
	Blobs int
	Bytes int64
	// Arches has one entry per architecture, in Options.Architectures order.
	Arches []Arch
}

// Arch is one architecture's release image and components.
type Arch struct {
	Architecture string
	Digest       string // of its release image
	Components   []Component
	Blobs        int
	Bytes        int64
}

func (o *Options) defaults() {
	if o.ReleaseRepo == "" {
		o.ReleaseRepo = "okd/release"
	}
	if o.ContentRepo == "" {
		o.ContentRepo = "okd/content"
	}
	if o.Tag == "" {
		o.Tag = "4.16.0-0.okd-synthetic"
	}
	if o.Version == "" {
		o.Version = o.Tag
	}
	if o.Components == 0 {
		o.Components = 6
	}
	if o.Layout == nil {
		o.Layout = &Layout{Base: repeat(o.BaseLayers, 2, o.BaseLayerSize, 256<<10), Unique: repeat(1, 1, o.UniqueLayerSize, 64<<10)}
	}
	if o.Seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		o.Seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	if len(o.Architectures) == 0 {
		o.Architectures = []string{"amd64"}
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
}

func repeat(n, defN int, size, defSize int64) []int64 {
	if n == 0 {
		n = defN
	}
	if size == 0 {
		size = defSize
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = size
	}
	return out
}

func (o *Options) remote(ctx context.Context) []remote.Option {
	opts := []remote.Option{remote.WithContext(ctx)}
	if o.Transport != nil {
		opts = append(opts, remote.WithTransport(o.Transport))
	}
	if o.Auth != nil {
		opts = append(opts, remote.WithAuth(o.Auth))
	}
	return opts
}

// Push builds the payload and pushes it. Layers are generated as they
// are sent, so a payload of gigabytes needs little memory.
func Push(ctx context.Context, o Options) (*Release, error) {
	o.defaults()
	rel := &Release{}
	all := map[v1.Hash]int64{}
	var images []mutate.IndexAddendum
	for _, arch := range o.Architectures {
		a, img, err := pushArch(ctx, &o, arch, all)
		if err != nil {
			return nil, err
		}
		rel.Arches = append(rel.Arches, *a)
		images = append(images, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	ref, err := name.NewTag(o.Registry + "/" + o.ReleaseRepo + ":" + o.Tag)
	if err != nil {
		return nil, err
	}
	var top interface {
		remote.Taggable
		Digest() (v1.Hash, error)
	} = images[0].Add.(v1.Image)
	if len(images) > 1 {
		top = mutate.IndexMediaType(mutate.AppendManifests(empty.Index, images...), types.DockerManifestList)
	}
	if err := remote.Tag(ref, top, o.remote(ctx)...); err != nil {
		return nil, fmt.Errorf("failed to tag the release image: %w", err)
	}
	d, err := top.Digest()
	if err != nil {
		return nil, err
	}
	rel.Image, rel.Digest = ref.String(), d.String()
	rel.Components = rel.Arches[0].Components
	for _, size := range all {
		rel.Blobs++
		rel.Bytes += size
	}
	return rel, nil
}

// pushArch pushes one architecture's shared layers, components and release image.
func pushArch(ctx context.Context, o *Options, arch string, all map[v1.Hash]int64) (*Arch, v1.Image, error) {
	seed := seedFor(o.Seed, arch, 0)
	lay, err := o.Layout.build(seed, o.Components)
	if err != nil {
		return nil, nil, err
	}
	if err := pushLayers(ctx, o, lay.shared()); err != nil {
		return nil, nil, err
	}
	a := &Arch{Architecture: arch, Components: make([]Component, o.Components)}
	blobs := map[v1.Hash]int64{}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Concurrency)
	for i := 0; i < o.Components; i++ {
		g.Go(func() error {
			c, img, err := pushComponent(gctx, o, arch, fmt.Sprintf("component-%02d", i), lay.component(i))
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			a.Components[i] = *c
			return countBlobs(img, blobs)
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	img, err := releaseImage(o, arch, lay.Base, a.Components)
	if err != nil {
		return nil, nil, err
	}
	d, err := img.Digest()
	if err != nil {
		return nil, nil, err
	}
	ref, err := name.NewDigest(o.Registry + "/" + o.ReleaseRepo + "@" + d.String())
	if err != nil {
		return nil, nil, err
	}
	if err := remote.Write(ref, img, o.remote(ctx)...); err != nil {
		return nil, nil, fmt.Errorf("failed to push the %s release image: %w", arch, err)
	}
	if err := countBlobs(img, blobs); err != nil {
		return nil, nil, err
	}
	a.Digest = d.String()
	for h, size := range blobs {
		a.Blobs++
		a.Bytes += size
		all[h] = size
	}
	return a, img, nil
}

// pushLayers pushes the shared layers first, so that the components
// pushed concurrently find them there instead of all sending them.
func pushLayers(ctx context.Context, o *Options, ls []v1.Layer) error {
	repo, err := name.NewRepository(o.Registry + "/" + o.ContentRepo)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Concurrency)
	for _, l := range ls {
		g.Go(func() error {
			if err := remote.WriteLayer(repo, l, o.remote(gctx)...); err != nil {
				return fmt.Errorf("failed to push a shared layer: %w", err)
			}
			return nil
		})
	}
	return g.Wait()
}

// image stacks layers on an empty linux/<arch> image with labels.
func image(labels map[string]string, arch string, ls []v1.Layer) (v1.Image, error) {
	img, err := mutate.AppendLayers(empty.Image, ls...)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Config.Labels = labels
	return mutate.ConfigFile(img, cf)
}

func pushComponent(ctx context.Context, o *Options, arch, compName string, ls []v1.Layer) (*Component, v1.Image, error) {
	img, err := image(map[string]string{"io.openshift.build.name": compName}, arch, ls)
	if err != nil {
		return nil, nil, err
	}
	d, err := img.Digest()
	if err != nil {
		return nil, nil, err
	}
	ref, err := name.NewDigest(o.Registry + "/" + o.ContentRepo + "@" + d.String())
	if err != nil {
		return nil, nil, err
	}
	if err := remote.Write(ref, img, o.remote(ctx)...); err != nil {
		return nil, nil, fmt.Errorf("failed to push %s: %w", compName, err)
	}
	return &Component{Name: compName, Image: ref.String()}, img, nil
}

func countBlobs(img v1.Image, blobs map[v1.Hash]int64) error {
	m, err := img.Manifest()
	if err != nil {
		return err
	}
	blobs[m.Config.Digest] = m.Config.Size
	for _, l := range m.Layers {
		blobs[l.Digest] = l.Size
	}
	return nil
}

// releaseImage is the base layers plus a top layer holding
// release-manifests/, labelled as `oc adm release new` labels a release.
func releaseImage(o *Options, arch string, base []v1.Layer, comps []Component) (v1.Image, error) {
	refs, err := ImageReferences(o.Version, comps)
	if err != nil {
		return nil, err
	}
	meta, err := ReleaseMetadata(o.Version)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	files := []struct {
		name string
		data []byte
	}{{"release-manifests/image-references", refs}, {"release-manifests/release-metadata", meta}}
	_ = tw.WriteHeader(&tar.Header{Name: "release-manifests/", Typeflag: tar.TypeDir, Mode: 0o755})
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	manifests, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(buf.Bytes())), nil
	})
	if err != nil {
		return nil, err
	}
	labels := map[string]string{"io.openshift.release": o.Version,
		"io.openshift.release.base-image-digest": "sha256:" + strings.Repeat("b4", 32)}
	return image(labels, arch, append(append([]v1.Layer{}, base...), manifests))
}

// ReleaseMetadata renders release-manifests/release-metadata as
// `oc adm release new` writes it: Cincinnati's metadata of the release.
func ReleaseMetadata(version string) ([]byte, error) {
	return json.MarshalIndent(map[string]any{
		"kind":     "cincinnati-metadata-v0",
		"version":  version,
		"previous": []string{},
		"metadata": map[string]string{"url": "https://github.com/okd-project/okd/releases/tag/" + version},
	}, "", "  ")
}

// ImageReferences renders a release's image-references ImageStream.
func ImageReferences(version string, comps []Component) ([]byte, error) {
	type from struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	}
	type tag struct {
		Name string `json:"name"`
		From from   `json:"from"`
	}
	is := map[string]any{"kind": "ImageStream", "apiVersion": "image.openshift.io/v1",
		"metadata": map[string]any{"name": version, "creationTimestamp": nil,
			"annotations": map[string]string{"release.openshift.io/from-image-stream": "okd/release"}}}
	var tags []tag
	for _, c := range comps {
		tags = append(tags, tag{Name: c.Name, From: from{Kind: "DockerImage", Name: c.Image}})
	}
	is["spec"] = map[string]any{"tags": tags}
	return json.MarshalIndent(is, "", "  ")
}
