package webserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Media is one file the nodes boot or install from (the CoreOS image, the
// live kernel, initramfs or rootfs): a local file or an http(s) URL.
type Media struct {
	Source string
	// SHA256 (hex), when known, must match before the file is published.
	SHA256 string
}

// IsURL reports whether a media source is downloaded rather than copied.
func IsURL(source string) bool {
	return strings.HasPrefix(source, "http://") || strings.HasPrefix(source, "https://")
}

// MediaName is the file name a source is published under in install/:
// its base name (for a URL, of the URL's path).
func MediaName(source string) string {
	if IsURL(source) {
		if u, err := url.Parse(source); err == nil {
			return path.Base(u.Path)
		}
	}
	return filepath.Base(source)
}

// Placer puts media into the published install directory, each at most
// once: a re-run with the same source touches nothing.
type Placer struct {
	// Dir is the published install directory.
	Dir string
	// HardLink allows hard links for local files on the same file system
	// (never on an SELinux-enforcing bastion: a link keeps the source's label).
	HardLink bool
	// Client downloads URLs (default: a client without overall timeout).
	Client *http.Client
	// Log receives progress lines (may be nil).
	Log func(format string, args ...any)
}

// Placed describes one published file.
type Placed struct {
	Name    string
	Path    string
	Changed bool
	// How is "hard link", "copy", "download" or "unchanged".
	How string
}

// stamp records where a published file came from, beside it as a hidden
// file (nginx never serves hidden files), so that a re-run can tell it is
// already in place without reading or fetching it again.
type stamp struct {
	Source string `json:"source"`
	SHA256 string `json:"sha256,omitempty"`
	Size   int64  `json:"size"`
	MTime  int64  `json:"mtime,omitempty"` // of a local source, in ns
}

func (p *Placer) stampPath(name string) string { return filepath.Join(p.Dir, "."+name+".okdctl") }
func (p *Placer) partPath(name string) string  { return filepath.Join(p.Dir, "."+name+".part") }

func (p *Placer) readStamp(name string) stamp {
	var s stamp
	data, err := os.ReadFile(p.stampPath(name))
	if err == nil {
		_ = json.Unmarshal(data, &s)
	}
	return s
}

func (p *Placer) writeStamp(name string, s stamp) error {
	data, _ := json.Marshal(s)
	if err := os.WriteFile(p.stampPath(name), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("failed to record the source of %s: %w", name, err)
	}
	return nil
}

// Place publishes m in Dir under MediaName(m.Source).
func (p *Placer) Place(ctx context.Context, m Media) (Placed, error) {
	name := MediaName(m.Source)
	if name == "" || name == "." || name == "/" || strings.HasPrefix(name, ".") {
		return Placed{}, fmt.Errorf("failed to place %s: it does not name a file", m.Source)
	}
	m.SHA256 = strings.ToLower(strings.TrimPrefix(m.SHA256, "sha256:"))
	if err := os.MkdirAll(p.Dir, 0o755); err != nil {
		return Placed{}, fmt.Errorf("failed to create %s: %w", p.Dir, err)
	}
	pl := Placed{Name: name, Path: filepath.Join(p.Dir, name)}
	var err error
	if IsURL(m.Source) {
		pl.How, err = p.placeURL(ctx, m, pl.Path)
	} else {
		pl.How, err = p.placeLocal(m, pl.Path)
	}
	pl.Changed = pl.How != "unchanged"
	return pl, err
}

func (p *Placer) logf(format string, args ...any) {
	if p.Log != nil {
		p.Log(format, args...)
	}
}

// InPlace reports, without reading or fetching the medium, whether it is
// already published from this source (what Place would leave unchanged).
func (p *Placer) InPlace(m Media) bool {
	name := MediaName(m.Source)
	m.SHA256 = strings.ToLower(strings.TrimPrefix(m.SHA256, "sha256:"))
	tfi, err := os.Stat(filepath.Join(p.Dir, name))
	if err != nil {
		return false
	}
	s := p.readStamp(name)
	if IsURL(m.Source) {
		return s.Source == m.Source && s.SHA256 == m.SHA256 && s.Size == tfi.Size()
	}
	src, err := filepath.Abs(m.Source)
	if err != nil {
		return false
	}
	fi, err := os.Stat(src)
	if err != nil {
		return false
	}
	return os.SameFile(fi, tfi) || (s == stamp{Source: src, SHA256: m.SHA256, Size: fi.Size(), MTime: fi.ModTime().UnixNano()} && tfi.Size() == fi.Size())
}

// Stale lists what Dir holds besides the media named by sources: files
// published from an earlier spec, with their stamps and partial
// downloads, so that the web root serves nothing the spec no longer names.
func (p *Placer) Stale(sources []string) ([]string, error) {
	keep := map[string]bool{}
	for _, src := range sources {
		name := MediaName(src)
		keep[name], keep["."+name+".okdctl"], keep["."+name+".part"] = true, true, true
	}
	entries, err := os.ReadDir(p.Dir)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("failed to list %s: %w", p.Dir, err)
	}
	var stale []string
	for _, e := range entries {
		if !keep[e.Name()] && !e.IsDir() {
			stale = append(stale, filepath.Join(p.Dir, e.Name()))
		}
	}
	return stale, nil
}
