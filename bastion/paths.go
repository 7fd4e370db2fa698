package bastion

import (
	"path/filepath"
	"strings"
)

// Paths relocates okdctl's own system paths (/etc, /var/lib, ...) under a
// root directory. An empty root means the real file system.
type Paths struct {
	Root string
}

// Path returns the absolute system path p under the root.
func (p Paths) Path(elem ...string) string {
	joined := filepath.Join(elem...)
	if p.Root == "" {
		return joined
	}
	return filepath.Join(p.Root, strings.TrimPrefix(joined, "/"))
}

// StateDir is okdctl's own directory for one cluster.
func (p Paths) StateDir(cluster string) string {
	return p.Path("/var/lib/okdctl", cluster)
}
