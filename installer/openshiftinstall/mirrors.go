package openshiftinstall

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// ReadMirrors reads the mirror phase's mapping (installer.FileMirrorMapping).
// It accepts a JSON array of {source, mirrors}, or an object holding that
// array under "sources", "imageContentSources", "imageDigestSources" or
// "mirrors". Sources are sorted for a stable install-config.
func ReadMirrors(data []byte) ([]MirrorSource, error) {
	data = bytes.TrimSpace(data)
	var list []MirrorSource
	if len(data) > 0 && data[0] == '[' {
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, fmt.Errorf("failed to read the mirror mapping: %w", err)
		}
	} else {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(data, &obj); err != nil {
			return nil, fmt.Errorf("failed to read the mirror mapping: %w", err)
		}
		for _, key := range []string{"sources", FieldImageDigestSources, FieldImageContentSources, "mirrors"} {
			if raw, ok := obj[key]; ok {
				if err := json.Unmarshal(raw, &list); err != nil {
					return nil, fmt.Errorf("failed to read the mirror mapping's %s: %w", key, err)
				}
				break
			}
		}
	}
	for _, m := range list {
		if m.Source == "" || len(m.Mirrors) == 0 {
			return nil, fmt.Errorf("failed to read the mirror mapping: source %q has no mirrors", m.Source)
		}
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].Source < list[j].Source })
	return list, nil
}

// IsOKD reports whether a release image is OKD's (quay.io/openshift/okd,
// quay.io/okd/scos-release, or a mirror of them), which needs no pull secret.
func IsOKD(releaseImage string) bool {
	return strings.Contains(strings.ToLower(releaseImage), "okd")
}
