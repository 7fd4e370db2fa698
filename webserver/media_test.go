package webserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func randomFile(t *testing.T, dir, name string, size int) (string, []byte) {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, data
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestPlaceLocalOnce(t *testing.T) {
	t.Parallel()
	for _, hardLink := range []bool{true, false} {
		src, data := randomFile(t, t.TempDir(), "fcos.raw.xz", 1<<20)
		p := &Placer{Dir: filepath.Join(t.TempDir(), "install"), HardLink: hardLink}
		ctx := context.Background()
		pl, err := p.Place(ctx, Media{Source: src, SHA256: sha256Hex(data)})
		wantHow := map[bool]string{true: "hard link", false: "copy"}[hardLink]
		if err != nil || pl.How != wantHow || pl.Name != "fcos.raw.xz" {
			t.Fatalf("Place(hardLink=%v) = %+v, %v", hardLink, pl, err)
		}
		if got, _ := os.ReadFile(pl.Path); !bytes.Equal(got, data) {
			t.Fatal("published bytes differ from the source")
		}
		if pl, err = p.Place(ctx, Media{Source: src, SHA256: sha256Hex(data)}); err != nil || pl.Changed {
			t.Fatalf("second Place = %+v, %v, want unchanged", pl, err)
		}
		if !hardLink { // a changed source is copied again
			newer := append(data[:len(data)-1:len(data)-1], 'x')
			os.WriteFile(src, newer, 0o644)
			os.Chtimes(src, time.Now().Add(time.Minute), time.Now().Add(time.Minute))
			if pl, err = p.Place(ctx, Media{Source: src}); err != nil || pl.How != "copy" {
				t.Fatalf("Place after the source changed = %+v, %v, want a copy", pl, err)
			}
		}
	}
}

func TestPlaceLocalChecksumMismatch(t *testing.T) {
	t.Parallel()
	src, _ := randomFile(t, t.TempDir(), "fcos.raw.xz", 4096)
	p := &Placer{Dir: t.TempDir()}
	_, err := p.Place(context.Background(), Media{Source: src, SHA256: strings.Repeat("0", 64)})
	if err == nil || !strings.Contains(err.Error(), "sha256 is") {
		t.Fatalf("Place = %v, want a checksum error", err)
	}
	if _, err := os.Stat(filepath.Join(p.Dir, "fcos.raw.xz")); err == nil {
		t.Fatal("a file with the wrong checksum was published")
	}
}

// mediaServer serves data on 127.0.0.1 with Range support; the first
// cutAfter bytes of the first response are sent before the connection drops.
type mediaServer struct {
	*httptest.Server
	mu       sync.Mutex
	ranges   []string
	cutAfter int
}

func newMediaServer(t *testing.T, data []byte, cutAfter int) *mediaServer {
	m := &mediaServer{cutAfter: cutAfter}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.ranges = append(m.ranges, r.Header.Get("Range"))
		cut := m.cutAfter
		m.cutAfter = 0
		m.mu.Unlock()
		if cut > 0 {
			w.Header().Set("Content-Length", "99999999")
			w.WriteHeader(http.StatusOK)
			w.Write(data[:cut])
			w.(http.Flusher).Flush()
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
			return
		}
		http.ServeContent(w, r, "image", time.Time{}, bytes.NewReader(data))
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *mediaServer) requests() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.ranges...)
}

func TestPlaceURLResumesAndDownloadsOnce(t *testing.T) {
	t.Parallel()
	data := make([]byte, 2<<20+5)
	rand.Read(data)
	srv := newMediaServer(t, data, 700000)
	p := &Placer{Dir: t.TempDir()}
	m := Media{Source: srv.URL + "/prod/fcos-metal.x86_64.raw.xz", SHA256: sha256Hex(data)}
	pl, err := p.Place(context.Background(), m)
	if err != nil || pl.How != "download" {
		t.Fatalf("Place = %+v, %v", pl, err)
	}
	if got, _ := os.ReadFile(pl.Path); !bytes.Equal(got, data) {
		t.Fatal("downloaded bytes differ")
	}
	if reqs := srv.requests(); len(reqs) != 2 || reqs[0] != "" || reqs[1] != "bytes=700000-" {
		t.Fatalf("requests' Range headers = %q, want a full request then a resume at 700000", reqs)
	}
	if pl, err = p.Place(context.Background(), m); err != nil || pl.Changed || len(srv.requests()) != 2 {
		t.Fatalf("second Place = %+v, %v after %d requests, want no download", pl, err, len(srv.requests()))
	}
}

func TestPlaceURLResumesAnEarlierRun(t *testing.T) {
	t.Parallel()
	data := make([]byte, 1<<20)
	rand.Read(data)
	srv := newMediaServer(t, data, 0)
	p := &Placer{Dir: t.TempDir()}
	os.WriteFile(p.partPath("kernel"), data[:12345], 0o644) // left by a killed run
	pl, err := p.Place(context.Background(), Media{Source: srv.URL + "/kernel"})
	if err != nil || pl.How != "download" {
		t.Fatalf("Place = %+v, %v", pl, err)
	}
	if got, _ := os.ReadFile(pl.Path); !bytes.Equal(got, data) {
		t.Fatal("resumed bytes differ")
	}
	if reqs := srv.requests(); len(reqs) != 1 || reqs[0] != "bytes=12345-" {
		t.Fatalf("requests' Range headers = %q, want one resume at 12345", reqs)
	}
}

func TestPlaceURLChecksumMismatch(t *testing.T) {
	t.Parallel()
	data := []byte("not the image you are looking for")
	srv := newMediaServer(t, data, 0)
	p := &Placer{Dir: t.TempDir()}
	_, err := p.Place(context.Background(), Media{Source: srv.URL + "/img.raw.xz", SHA256: sha256Hex([]byte("other"))})
	if err == nil || !strings.Contains(err.Error(), "discarded") {
		t.Fatalf("Place = %v, want a checksum error", err)
	}
	for _, f := range []string{"img.raw.xz", ".img.raw.xz.part"} {
		if _, err := os.Stat(filepath.Join(p.Dir, f)); err == nil {
			t.Errorf("%s left behind after a checksum mismatch", f)
		}
	}
}

func TestStaleMedia(t *testing.T) {
	t.Parallel()
	p := &Placer{Dir: t.TempDir()}
	for _, f := range []string{"new.raw.xz", ".new.raw.xz.okdctl", ".new.raw.xz.part", "old.raw.xz", ".old.raw.xz.okdctl", "kernel"} {
		os.WriteFile(filepath.Join(p.Dir, f), nil, 0o644)
	}
	stale, err := p.Stale([]string{"/images/new.raw.xz", "https://example.invalid/k/kernel"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(p.Dir, ".old.raw.xz.okdctl"), filepath.Join(p.Dir, "old.raw.xz")}
	if strings.Join(stale, ",") != strings.Join(want, ",") {
		t.Fatalf("Stale = %v, want %v", stale, want)
	}
}
