package release_test

import (
	"archive/tar"
	"bytes"
	"io"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/okdctl/okdctl/internal/synthrelease"
	"github.com/okdctl/okdctl/spec/release"
)

func layer(t *testing.T, files map[string]string) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, data := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(data))
	}
	tw.Close()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func imageOf(t *testing.T, labels map[string]string, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.Architecture, cf.Config.Labels = "amd64", labels
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestReadFacts(t *testing.T) {
	t.Parallel()
	meta, _ := synthrelease.ReleaseMetadata("4.15.0-0.okd-2024-03-10-010116")
	refs, _ := synthrelease.ImageReferences("4.15.0-0.okd-from-refs", []synthrelease.Component{
		{Name: "cli", Image: "quay.io/okd/content@sha256:" + strings.Repeat("1", 64)},
		{Name: "installer", Image: "quay.io/okd/content@sha256:" + strings.Repeat("2", 64)}})
	label := map[string]string{release.ReleaseLabel: "4.15.0-0.okd-from-label"}
	base := layer(t, map[string]string{"usr/bin/cluster-version-operator": "cvo"})
	for _, tc := range []struct {
		name        string
		img         v1.Image
		version     string
		source, err string
	}{
		{"release-metadata first", imageOf(t, label, base, layer(t, map[string]string{release.MetadataPath: string(meta), release.ImageReferencesPath: string(refs)})),
			"4.15.0-0.okd-2024-03-10-010116", release.MetadataPath, ""},
		{"the label without metadata", imageOf(t, label, base, layer(t, map[string]string{release.ImageReferencesPath: string(refs)})),
			"4.15.0-0.okd-from-label", "label io.openshift.release", ""},
		{"image-references alone", imageOf(t, nil, layer(t, map[string]string{release.ImageReferencesPath: string(refs)})),
			"4.15.0-0.okd-from-refs", release.ImageReferencesPath, ""},
		{"an upper whiteout hides the metadata", imageOf(t, nil,
			layer(t, map[string]string{release.MetadataPath: string(meta), release.ImageReferencesPath: string(refs)}),
			layer(t, map[string]string{"release-manifests/.wh.release-metadata": ""})),
			"4.15.0-0.okd-from-refs", release.ImageReferencesPath, ""},
		{"not a release", imageOf(t, nil, base), "", "", "is it a release image?"},
		{"broken metadata", imageOf(t, nil, layer(t, map[string]string{release.MetadataPath: `{"kind":"x"}`})), "", "", "want kind cincinnati-metadata-v0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, err := release.ReadFacts(tc.img)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Version != tc.version || f.Source != tc.source || f.Architecture != "amd64" {
				t.Errorf("facts %+v, want version %s from %s", f, tc.version, tc.source)
			}
			if strings.Join(f.Components, ",") != "cli,installer" {
				t.Errorf("components %v", f.Components)
			}
		})
	}
}
