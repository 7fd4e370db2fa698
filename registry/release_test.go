package registry

import (
	"archive/tar"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/okdctl/okdctl/internal/synthrelease"
)

const digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func tarLayer(t *testing.T, files map[string]string) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for n, data := range files {
		_ = tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		_, _ = tw.Write([]byte(data))
	}
	_ = tw.Close()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestReadAndParseImageReferences(t *testing.T) {
	t.Parallel()
	refs, _ := synthrelease.ImageReferences("4.5.0", []synthrelease.Component{
		{Name: "cli", Image: "quay.io/openshift/okd-content@" + digestA},
		{Name: "installer", Image: "quay.io/openshift/okd-content@" + digestA},
	})
	old := `{"kind":"ImageStream","spec":{"tags":[{"name":"old","from":{"kind":"DockerImage","name":"x.io/a@` + digestA + `"}}]}}`
	img, err := mutate.AppendLayers(empty.Image,
		tarLayer(t, map[string]string{"release-manifests/image-references": old, "bin/sh": "x"}),
		tarLayer(t, map[string]string{"./release-manifests/image-references": string(refs)}))
	if err != nil {
		t.Fatal(err)
	}
	data, err := ReadImageReferences(img)
	if err != nil {
		t.Fatal(err)
	}
	comps, err := ParseImageReferences(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(comps) != 2 || comps[0].Name != "cli" || comps[1].Image.String() != "quay.io/openshift/okd-content@"+digestA {
		t.Errorf("components %+v (the top layer must win)", comps)
	}

	whited, _ := mutate.AppendLayers(img, tarLayer(t, map[string]string{"release-manifests/.wh.image-references": ""}))
	if _, err := ReadImageReferences(whited); err == nil {
		t.Error("a whited-out image-references was found")
	}
	plain, _ := mutate.AppendLayers(empty.Image, tarLayer(t, map[string]string{"etc/os-release": "x"}))
	if _, err := ReadImageReferences(plain); err == nil || !strings.Contains(err.Error(), "is it a release image") {
		t.Errorf("an image without image-references: %v", err)
	}
}

func TestParseImageReferencesRejects(t *testing.T) {
	t.Parallel()
	for doc, want := range map[string]string{
		`{"kind":"List"}`: "not ImageStream",
		`{"kind":"ImageStream","spec":{"tags":[{"name":"cli","from":{"kind":"DockerImage","name":"quay.io/a:latest"}}]}}`: "not referenced by digest",
		`{"kind":"ImageStream","spec":{"tags":[]}}`: "lists no images",
		`{`: "failed to parse",
	} {
		if _, err := ParseImageReferences([]byte(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", doc, err, want)
		}
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	ref, _ := name.ParseReference("quay.io/openshift/okd:4.5.0-0.okd-2020-07-14-153706-ga")
	h, _ := v1.NewHash(digestA)
	if got := releaseTag(ref, h); got != "4.5.0-0.okd-2020-07-14-153706-ga" {
		t.Errorf("release tag %s", got)
	}
	byDigest, _ := name.ParseReference("quay.io/openshift/okd@" + digestA)
	if got := releaseTag(byDigest, h); got != "release-aaaaaaaaaaaa" {
		t.Errorf("release tag by digest %s", got)
	}
	if got := componentTag("4.5.0", "machine-config-operator"); got != "4.5.0-machine-config-operator" {
		t.Errorf("component tag %s", got)
	}
	long1, long2 := componentTag(strings.Repeat("x", 130), "a/b:c"), componentTag(strings.Repeat("x", 130), "a/b:d")
	if len(long1) != 128 || strings.ContainsAny(long1, "/:") || long1 == long2 {
		t.Errorf("long component tags %q %q", long1, long2)
	}
}

func TestMappingRoundTrip(t *testing.T) {
	t.Parallel()
	m := &Mapping{Release: "quay.io/openshift/okd:4.5", ReleaseDigest: digestA, Repository: "r:5000/openshift/okd",
		ReleaseMirror: "r:5000/openshift/okd@" + digestA,
		Sources:       sourcesFor([]string{"quay.io/openshift/okd", "quay.io/openshift/okd-content", "quay.io/openshift/okd"}, "r:5000/openshift/okd"),
		Images:        []ImageMapping{{Name: "cli", Source: "quay.io/openshift/okd-content@" + digestA, Mirror: "r:5000/openshift/okd@" + digestA}}}
	back, err := DecodeMapping(m.Encode())
	if err != nil {
		t.Fatal(err)
	}
	src := back.MirrorSources()
	if len(src) != 2 || src[0].Source != "quay.io/openshift/okd" || src[1].Source != "quay.io/openshift/okd-content" || src[1].Mirrors[0] != "r:5000/openshift/okd" {
		t.Errorf("mirror sources %+v", src)
	}
	if d := back.Digests(); len(d) != 1 {
		t.Errorf("digests %v (release and cli share one)", d)
	}
	if _, err := DecodeMapping([]byte(`{}`)); err == nil {
		t.Error("an empty mapping decodes")
	}
}
