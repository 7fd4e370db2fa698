package webserver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// downloadAttempts is how often one run resumes an interrupted download.
const downloadAttempts = 4

// placeURL downloads a URL once into a hidden part file, resuming it with
// Range requests after an interruption (in this run or an earlier one),
// verifies the checksum when known and only then publishes it.
func (p *Placer) placeURL(ctx context.Context, m Media, target string) (string, error) {
	if p.InPlace(m) {
		return "unchanged", nil
	}
	name := filepath.Base(target)
	part := p.partPath(name)
	var err error
	for attempt := 1; attempt <= downloadAttempts; attempt++ {
		if err = p.fetch(ctx, m.Source, part); err == nil || ctx.Err() != nil {
			break
		}
		p.logf("download of %s interrupted (%v); resuming", m.Source, err)
	}
	if err != nil {
		return "", fmt.Errorf("failed to download %s: %w (the partial file %s is kept: re-run to resume)", m.Source, err, part)
	}
	if m.SHA256 != "" {
		if err := verifySHA256(part, m.SHA256); err != nil {
			os.Remove(part)
			return "", fmt.Errorf("failed to download %s: %w; the download was discarded", m.Source, err)
		}
	}
	fi, err := os.Stat(part)
	if err == nil {
		err = os.Rename(part, target)
	}
	if err != nil {
		return "", fmt.Errorf("failed to publish %s: %w", target, err)
	}
	return "download", p.writeStamp(name, stamp{Source: m.Source, SHA256: m.SHA256, Size: fi.Size()})
}

// fetch appends the rest of url to part, from part's current size.
func (p *Placer) fetch(ctx context.Context, url, part string) error {
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	offset, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	resp, err := p.client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
		offset = 0
		if err := f.Truncate(0); err != nil {
			return err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
	case resp.StatusCode == http.StatusPartialContent:
		if start := rangeStart(resp.Header.Get("Content-Range")); start != offset {
			return fmt.Errorf("server resumed at byte %d instead of %d", start, offset)
		}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && offset > 0 && rangeTotal(resp.Header.Get("Content-Range")) == offset:
		return nil // the part is already complete
	default:
		return fmt.Errorf("server answered %s", resp.Status)
	}
	return p.copyProgress(f, resp.Body, offset, offset+resp.ContentLength, url)
}

func (p *Placer) copyProgress(dst *os.File, src io.Reader, done, total int64, url string) error {
	buf := make([]byte, 256<<10)
	last := time.Now()
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
			done += int64(n)
			if time.Since(last) > 10*time.Second {
				last = time.Now()
				of := "unknown size"
				if total >= done {
					of = humanBytes(total)
				}
				p.logf("downloading %s: %s of %s", url, humanBytes(done), of)
			}
		}
		if errors.Is(err, io.EOF) {
			return dst.Sync()
		}
		if err != nil {
			return err
		}
	}
}

func (p *Placer) client() *http.Client {
	if p.Client != nil {
		return p.Client
	}
	return &http.Client{}
}

// rangeStart reads N of "bytes N-M/T" (-1 when malformed).
func rangeStart(cr string) int64 {
	spec, ok := strings.CutPrefix(cr, "bytes ")
	if !ok {
		return -1
	}
	first, _, _ := strings.Cut(spec, "-")
	n, err := strconv.ParseInt(first, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// rangeTotal reads T of "bytes */T" or "bytes N-M/T" (-1 when unknown).
func rangeTotal(cr string) int64 {
	_, total, ok := strings.Cut(cr, "/")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(total, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// verifySHA256 compares a file's SHA-256 with want (hex).
func verifySHA256(path, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("sha256 is %s, the spec says %s", got, want)
	}
	return nil
}
