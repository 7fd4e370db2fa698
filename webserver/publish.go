package webserver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Published lists the files the web root serves: every visible regular
// file directly in ignition/ and install/, as Files to verify (URL path and
// local bytes), sorted. Hidden files (part files, stamps) are not served.
func Published(webRoot string) ([]File, error) {
	var out []File
	for _, tree := range []string{IgnitionDir, InstallDir} {
		entries, err := os.ReadDir(filepath.Join(webRoot, tree))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("failed to list the published files: %w", err)
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			out = append(out, File{URLPath: "/" + tree + "/" + e.Name(), Local: filepath.Join(webRoot, tree, e.Name())})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].URLPath < out[j].URLPath })
	return out, nil
}
