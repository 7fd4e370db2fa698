package registry

import (
	"encoding/json"
	"fmt"
	"sort"
)

// MirrorSource is one install-config mirror entry (imageContentSources or
// imageDigestSources: both have this shape).
type MirrorSource struct {
	Source  string   `json:"source" yaml:"source"`
	Mirrors []string `json:"mirrors" yaml:"mirrors"`
}

// Mapping records what a mirror copied where. It is written to the mirror
// phase's state file and read back by the install-config renderer.
type Mapping struct {
	// Release is the release image as the spec names it.
	Release string `json:"release"`
	// ReleaseDigest is the digest it resolved to.
	ReleaseDigest string `json:"releaseDigest"`
	// ReleaseMirror is the mirrored release by digest; ReleaseTag the tag it carries.
	ReleaseMirror string `json:"releaseMirror"`
	ReleaseTag    string `json:"releaseTag,omitempty"`
	// Repository is the mirror repository (<registry>/<repo>).
	Repository string `json:"repository"`
	// Sources map every source repository to the mirror repository.
	Sources []MirrorSource `json:"sources"`
	// Images are the release's components, by digest.
	Images []ImageMapping `json:"images"`
}

// ImageMapping is one mirrored component.
type ImageMapping struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Mirror string `json:"mirror"`
}

// MirrorSources are the install-config mirror entries of a mapping: the
// release repository and every content repository, each mirrored to the
// one mirror repository.
func (m *Mapping) MirrorSources() []MirrorSource {
	out := make([]MirrorSource, len(m.Sources))
	for i, s := range m.Sources {
		out[i] = MirrorSource{Source: s.Source, Mirrors: append([]string(nil), s.Mirrors...)}
	}
	return out
}

// Digests lists every mirrored manifest (release first), by digest reference.
func (m *Mapping) Digests() []string {
	seen := map[string]bool{m.ReleaseMirror: true}
	out := []string{m.ReleaseMirror}
	for _, img := range m.Images {
		if !seen[img.Mirror] {
			seen[img.Mirror] = true
			out = append(out, img.Mirror)
		}
	}
	return out
}

// Encode renders the mapping as indented JSON.
func (m *Mapping) Encode() []byte {
	data, _ := json.MarshalIndent(m, "", "  ")
	return append(data, '\n')
}

// DecodeMapping reads a mapping file.
func DecodeMapping(data []byte) (*Mapping, error) {
	var m Mapping
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("failed to read the mirror mapping: %w (run the mirror phase again)", err)
	}
	if m.ReleaseMirror == "" || m.Repository == "" {
		return nil, fmt.Errorf("failed to read the mirror mapping: it names no release (run the mirror phase again)")
	}
	return &m, nil
}

// sourcesFor maps each distinct source repository to the mirror repository.
func sourcesFor(repos []string, mirror string) []MirrorSource {
	seen := map[string]bool{}
	var out []MirrorSource
	for _, r := range repos {
		if !seen[r] {
			seen[r] = true
			out = append(out, MirrorSource{Source: r, Mirrors: []string{mirror}})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out
}
