package webserver

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// placeLocal hard-links or copies a local file, once.
func (p *Placer) placeLocal(m Media, target string) (string, error) {
	src, err := filepath.Abs(m.Source)
	if err != nil {
		return "", fmt.Errorf("failed to place %s: %w", m.Source, err)
	}
	fi, err := os.Stat(src)
	if err != nil {
		return "", fmt.Errorf("failed to place %s: %w", m.Source, err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("failed to place %s: not a regular file", m.Source)
	}
	if p.InPlace(m) {
		return "unchanged", nil
	}
	name := filepath.Base(target)
	want := stamp{Source: src, SHA256: m.SHA256, Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	if m.SHA256 != "" {
		if err := verifySHA256(src, m.SHA256); err != nil {
			return "", fmt.Errorf("failed to place %s: %w", m.Source, err)
		}
	}
	how := "copy"
	if !p.HardLink || fi.Mode().Perm()&0o004 == 0 || p.link(src, target) != nil {
		if err := p.copy(src, target, fi); err != nil {
			return "", err
		}
	} else {
		how = "hard link"
	}
	return how, p.writeStamp(name, want)
}

// link replaces target with a hard link to src (fails across file systems).
func (p *Placer) link(src, target string) error {
	tmp := p.partPath(filepath.Base(target))
	_ = os.Remove(tmp)
	if err := os.Link(src, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// copy copies src to target through a hidden temp file, keeping its mtime.
func (p *Placer) copy(src, target string, fi os.FileInfo) error {
	p.logf("copying %s (%s) to %s", src, humanBytes(fi.Size()), target)
	tmp := p.partPath(filepath.Base(target))
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("failed to copy %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("failed to copy %s: %w", src, err)
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chtimes(tmp, fi.ModTime(), fi.ModTime())
	}
	if err == nil {
		err = os.Rename(tmp, target)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("failed to copy %s to %s: %w", src, target, err)
	}
	return nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
