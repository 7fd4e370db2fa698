package release

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Where a release image describes itself (`oc adm release new` writes both
// files into the image's top layer and sets the label on its config).
const (
	MetadataPath        = "release-manifests/release-metadata"
	ImageReferencesPath = "release-manifests/image-references"
	ReleaseLabel        = "io.openshift.release"
)

// Facts are what a release image says about itself. okdctl keeps them in
// its state so that re-runs do not read the image again.
type Facts struct {
	// Image is the reference they were read from (the spec's).
	Image string `json:"image"`
	// Digest is the release image's manifest digest (sha256:...).
	Digest string `json:"digest"`
	// Version is the full release version, e.g. 4.15.0-0.okd-2024-03-10-010116.
	Version string `json:"version"`
	// Source says where Version came from: release-metadata or the label.
	Source string `json:"source"`
	// Components are the names of the images the release lists.
	Components []string `json:"components,omitempty"`
	// Architecture of the image read (amd64).
	Architecture string `json:"architecture,omitempty"`
}

// Metadata is release-manifests/release-metadata (Cincinnati's format).
type Metadata struct {
	Kind     string            `json:"kind"`
	Version  string            `json:"version"`
	Previous []string          `json:"previous,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// ParseMetadata reads release-metadata.
func ParseMetadata(data []byte) (Metadata, error) {
	var m Metadata
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("failed to parse %s: %w", MetadataPath, err)
	}
	if m.Kind != "cincinnati-metadata-v0" || m.Version == "" {
		return m, fmt.Errorf("failed to parse %s: kind %q and version %q, want kind cincinnati-metadata-v0 and a version", MetadataPath, m.Kind, m.Version)
	}
	return m, nil
}

// ReadFacts reads an image's release-metadata, image-references and
// io.openshift.release label. The version comes from release-metadata,
// else the label, else image-references' name.
func ReadFacts(img v1.Image) (*Facts, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("failed to read the image config: %w", err)
	}
	files, err := findFiles(img, MetadataPath, ImageReferencesPath)
	if err != nil {
		return nil, err
	}
	f := &Facts{Architecture: cf.Architecture}
	refsName := ""
	if data, ok := files[ImageReferencesPath]; ok {
		if f.Components, refsName, err = componentNames(data); err != nil {
			return nil, err
		}
	}
	switch data, ok := files[MetadataPath]; {
	case ok:
		m, err := ParseMetadata(data)
		if err != nil {
			return nil, err
		}
		f.Version, f.Source = m.Version, MetadataPath
	case cf.Config.Labels[ReleaseLabel] != "":
		f.Version, f.Source = cf.Config.Labels[ReleaseLabel], "label "+ReleaseLabel
	case refsName != "":
		f.Version, f.Source = refsName, ImageReferencesPath
	default:
		return nil, fmt.Errorf("it has neither %s, %s nor the %s label: is it a release image?", MetadataPath, ImageReferencesPath, ReleaseLabel)
	}
	return f, nil
}

// componentNames lists image-references' tags, and its name (the version).
func componentNames(data []byte) ([]string, string, error) {
	var is struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Tags []struct {
				Name string `json:"name"`
			} `json:"tags"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(data, &is); err != nil || is.Kind != "ImageStream" {
		return nil, "", fmt.Errorf("failed to parse %s: not an ImageStream (%v)", ImageReferencesPath, err)
	}
	var names []string
	for _, t := range is.Spec.Tags {
		names = append(names, t.Name)
	}
	sort.Strings(names)
	return names, is.Metadata.Name, nil
}

// findFiles looks for files in the image's layers, the top layer first
// (where the release tooling puts them); an upper layer's copy or whiteout
// hides a lower one. It stops once every file is settled.
func findFiles(img v1.Image, files ...string) (map[string][]byte, error) {
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("failed to list the image's layers: %w", err)
	}
	found := map[string][]byte{}
	settled := map[string]bool{}
	for i := len(layers) - 1; i >= 0 && len(settled) < len(files); i-- {
		if err := scanLayer(layers[i], files, found, settled); err != nil {
			return nil, err
		}
	}
	return found, nil
}

func scanLayer(l v1.Layer, files []string, found map[string][]byte, settled map[string]bool) error {
	rc, err := l.Uncompressed()
	if err != nil {
		return fmt.Errorf("failed to read a layer: %w", err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("failed to read a layer: %w", err)
		}
		name := path.Clean(strings.TrimPrefix(hdr.Name, "/"))
		for _, f := range files {
			if settled[f] {
				continue
			}
			switch name {
			case f:
				data, err := io.ReadAll(io.LimitReader(tr, 16<<20))
				if err != nil {
					return fmt.Errorf("failed to read %s: %w", f, err)
				}
				found[f], settled[f] = data, true
			case path.Join(path.Dir(f), ".wh."+path.Base(f)):
				settled[f] = true
			}
		}
	}
}
