package synthrelease

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
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
	// each component adds one layer of UniqueLayerSize bytes.
	BaseLayers      int
	BaseLayerSize   int64 // default 256 KiB
	UniqueLayerSize int64 // default 64 KiB
	Transport       http.RoundTripper
	Auth            authn.Authenticator
}

// Component is one pushed component image.
type Component struct {
	Name  string
	Image string // <registry>/<content repo>@sha256:...
}

// Release is the pushed payload.
type Release struct {
	Image      string // <registry>/<release repo>:<tag>
	Digest     string
	Components []Component
	// Blobs and Bytes count the distinct blobs (layers and configs) of the
	// whole payload, release included.
	Blobs int
	Bytes int64
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
	if o.BaseLayers == 0 {
		o.BaseLayers = 2
	}
	if o.BaseLayerSize == 0 {
		o.BaseLayerSize = 256 << 10
	}
	if o.UniqueLayerSize == 0 {
		o.UniqueLayerSize = 64 << 10
	}
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

// Push builds the payload and pushes it.
func Push(ctx context.Context, o Options) (*Release, error) {
	o.defaults()
	base, err := layers(o.BaseLayers, o.BaseLayerSize)
	if err != nil {
		return nil, err
	}
	rel := &Release{}
	blobs := map[v1.Hash]int64{}
	for i := 0; i < o.Components; i++ {
		c, err := pushComponent(ctx, &o, base, fmt.Sprintf("component-%02d", i), blobs)
		if err != nil {
			return nil, err
		}
		rel.Components = append(rel.Components, *c)
	}
	img, err := releaseImage(&o, base, rel.Components)
	if err != nil {
		return nil, err
	}
	ref, err := name.NewTag(o.Registry + "/" + o.ReleaseRepo + ":" + o.Tag)
	if err != nil {
		return nil, err
	}
	if err := remote.Write(ref, img, o.remote(ctx)...); err != nil {
		return nil, fmt.Errorf("failed to push the release image: %w", err)
	}
	if err := countBlobs(img, blobs); err != nil {
		return nil, err
	}
	d, _ := img.Digest()
	rel.Image, rel.Digest = ref.String(), d.String()
	for _, size := range blobs {
		rel.Blobs++
		rel.Bytes += size
	}
	return rel, nil
}

func layers(n int, size int64) ([]v1.Layer, error) {
	var out []v1.Layer
	for i := 0; i < n; i++ {
		l, err := random.Layer(size, types.DockerLayer)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// image stacks layers on an empty linux/amd64 image with labels.
func image(labels map[string]string, ls []v1.Layer) (v1.Image, error) {
	img, err := mutate.AppendLayers(empty.Image, ls...)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Labels = labels
	return mutate.ConfigFile(img, cf)
}

func pushComponent(ctx context.Context, o *Options, base []v1.Layer, compName string, blobs map[v1.Hash]int64) (*Component, error) {
	unique, err := layers(1, o.UniqueLayerSize)
	if err != nil {
		return nil, err
	}
	img, err := image(map[string]string{"io.openshift.build.name": compName}, append(append([]v1.Layer{}, base...), unique...))
	if err != nil {
		return nil, err
	}
	d, err := img.Digest()
	if err != nil {
		return nil, err
	}
	ref, err := name.NewDigest(o.Registry + "/" + o.ContentRepo + "@" + d.String())
	if err != nil {
		return nil, err
	}
	if err := remote.Write(ref, img, o.remote(ctx)...); err != nil {
		return nil, fmt.Errorf("failed to push %s: %w", compName, err)
	}
	return &Component{Name: compName, Image: ref.String()}, countBlobs(img, blobs)
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
func releaseImage(o *Options, base []v1.Layer, comps []Component) (v1.Image, error) {
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
	return image(labels, append(append([]v1.Layer{}, base...), manifests))
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
