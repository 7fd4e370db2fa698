package release

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
)

// Artifact is one downloadable file of a CoreOS build.
type Artifact struct {
	Location string `json:"location"`
	SHA256   string `json:"sha256"`
}

// MetalMedia are the bare-metal boot media the release's installer pins
// (`openshift-install coreos print-stream-json`, 4.8+).
type MetalMedia struct {
	// Stream is the stream metadata's name (stable, c9s, rhcos-4.14, ...).
	Stream string
	// OS is the CoreOS the artifacts are, from their file names.
	OS      Stream
	Release string // the CoreOS build, e.g. 39.20231101.3.0
	// Disk is the metal image coreos-installer writes (raw.xz or raw.gz).
	Disk                           Artifact
	ISO, Kernel, Initramfs, Rootfs Artifact
}

type streamArtifact struct {
	Release string `json:"release"`
	Formats map[string]map[string]Artifact
}

// ParseStreamJSON reads CoreOS stream metadata (the format
// coreos/stream-metadata-go defines) and returns the metal media of arch
// (x86_64, aarch64, ...).
func ParseStreamJSON(data []byte, arch string) (*MetalMedia, error) {
	var sm struct {
		Stream        string `json:"stream"`
		Architectures map[string]struct {
			Artifacts map[string]streamArtifact `json:"artifacts"`
		} `json:"architectures"`
	}
	if err := json.Unmarshal(data, &sm); err != nil {
		return nil, fmt.Errorf("failed to parse the CoreOS stream metadata: %w", err)
	}
	a, ok := sm.Architectures[arch].Artifacts["metal"]
	if !ok {
		return nil, fmt.Errorf("the CoreOS stream metadata %q has no metal artifacts for %s", sm.Stream, arch)
	}
	m := &MetalMedia{Stream: sm.Stream, Release: a.Release}
	var formats []string
	for f := range a.Formats {
		formats = append(formats, f)
	}
	sort.Strings(formats)
	for _, f := range []string{"raw.xz", "raw.gz"} {
		if d, ok := a.Formats[f]["disk"]; ok {
			m.Disk = d
			break
		}
	}
	if m.Disk.Location == "" {
		return nil, fmt.Errorf("the CoreOS stream metadata %q has no metal raw.xz or raw.gz disk image for %s (formats: %v)", sm.Stream, arch, formats)
	}
	m.ISO = a.Formats["iso"]["disk"]
	pxe := a.Formats["pxe"]
	m.Kernel, m.Initramfs, m.Rootfs = pxe["kernel"], pxe["initramfs"], pxe["rootfs"]
	m.OS = StreamOf(m.Disk.Location)
	return m, nil
}

// Matches reports whether image (a path or URL) is one of the media by file
// name, and returns that artifact.
func (m *MetalMedia) Matches(image string) (Artifact, bool) {
	base := path.Base(image)
	for _, a := range []Artifact{m.Disk, m.ISO, m.Kernel, m.Initramfs, m.Rootfs} {
		if a.Location != "" && path.Base(a.Location) == base {
			return a, true
		}
	}
	return Artifact{}, false
}
