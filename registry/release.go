package registry

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ImageReferencesPath is where a release image lists its components.
const ImageReferencesPath = "release-manifests/image-references"

// Component is one image of a release payload.
type Component struct {
	// Name is the component's tag in the release (e.g. "cli").
	Name string
	// Image is its pullspec, by digest.
	Image name.Digest
}

// imageStream is the shape of image-references (an ImageStream).
type imageStream struct {
	Kind string `json:"kind"`
	Spec struct {
		Tags []struct {
			Name string `json:"name"`
			From struct {
				Kind string `json:"kind"`
				Name string `json:"name"`
			} `json:"from"`
		} `json:"tags"`
	} `json:"spec"`
}

// ParseImageReferences reads a release's component list; every component
// must be referenced by digest.
func ParseImageReferences(data []byte) ([]Component, error) {
	var is imageStream
	if err := json.Unmarshal(data, &is); err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", ImageReferencesPath, err)
	}
	if is.Kind != "ImageStream" {
		return nil, fmt.Errorf("failed to parse %s: kind is %q, not ImageStream", ImageReferencesPath, is.Kind)
	}
	var out []Component
	for _, t := range is.Spec.Tags {
		if t.From.Kind != "DockerImage" {
			continue
		}
		d, err := name.NewDigest(t.From.Name)
		if err != nil {
			return nil, fmt.Errorf("failed to parse %s: component %s is not referenced by digest: %w", ImageReferencesPath, t.Name, err)
		}
		out = append(out, Component{Name: t.Name, Image: d})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("failed to parse %s: it lists no images", ImageReferencesPath)
	}
	return out, nil
}

// ReadImageReferences finds image-references in a release image's layers,
// the top layer first (where the release tooling puts it), and stops as
// soon as it is found.
func ReadImageReferences(img v1.Image) ([]byte, error) {
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("failed to list the release image's layers: %w", err)
	}
	for i := len(layers) - 1; i >= 0; i-- {
		data, found, err := findInLayer(layers[i], ImageReferencesPath)
		if err != nil {
			return nil, err
		}
		if found {
			if data == nil {
				break // deleted by a whiteout in an upper layer
			}
			return data, nil
		}
	}
	return nil, fmt.Errorf("the release image has no %s: is it a release image?", ImageReferencesPath)
}

// findInLayer looks for file in one layer; a whiteout counts as found with nil data.
func findInLayer(l v1.Layer, file string) ([]byte, bool, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, false, fmt.Errorf("failed to read a release layer: %w", err)
	}
	defer rc.Close()
	whiteout := path.Join(path.Dir(file), ".wh."+path.Base(file))
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("failed to read a release layer: %w", err)
		}
		switch path.Clean(strings.TrimPrefix(hdr.Name, "/")) {
		case file:
			data, err := io.ReadAll(io.LimitReader(tr, 64<<20))
			if err != nil {
				return nil, false, fmt.Errorf("failed to read %s: %w", file, err)
			}
			return data, true, nil
		case whiteout:
			return nil, true, nil
		}
	}
}
