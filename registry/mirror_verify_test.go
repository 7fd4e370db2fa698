package registry

import (
	"bytes"
	"io"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/synthrelease"
	"github.com/okdctl/okdctl/internal/testenv"
)

// okdctl does not hash blob bytes itself: the mirror registry does, and
// the size is checked against the manifest. A source that serves other
// bytes than its manifests name (altered or short) fails the mirror with
// the blob's digest, and the blob never enters the mirror; bytes beyond
// the manifest's size are not sent (the blob is whole without them).
func TestMirrorRefusesBlobsThatAreNotWhatTheManifestSays(t *testing.T) {
	t.Parallel()
	src := startSourceRegistry(t)
	rel := pushPayload(t, src, synthrelease.Options{Components: 2, Layout: &synthrelease.Layout{
		Base: []int64{64 << 10}, Unique: []int64{1 << 20, 1 << 20}}})
	for _, tc := range []struct {
		name   string
		change func([]byte) []byte
		want   string
	}{
		{"altered", func(b []byte) []byte { b[len(b)/2] ^= 0xff; return b }, `does not hash to the digest its manifest names.*DIGEST_INVALID`},
		{"short", func(b []byte) []byte { return b[:len(b)-1] }, `sent 1 bytes too few`},
		{"long", func(b []byte) []byte { return append(b, 'x') }, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startTestRegistry(t)
			o := tr.mirrorOptions(t, rel.Image)
			o.Transport = &tamperTransport{base: mustTransport(t, o), source: src, change: tc.change}
			_, off := tr.uploads(0)
			m, err := Mirror(testenv.Context(t, 2*time.Minute), o)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Mirror from a source serving %s blobs: %v", tc.name, err)
				}
				if missing, err := CheckMirrored(testenv.Context(t, time.Minute), o, m); err != nil || len(missing) > 0 {
					t.Errorf("missing %v (err %v)", missing, err)
				}
				return
			}
			if err == nil || !regexp.MustCompile(`failed to copy blob sha256:[0-9a-f]{64}: .*`+tc.want).MatchString(err.Error()) {
				t.Fatalf("Mirror from a source serving %s blobs: err %v, want one naming the blob and matching %q", tc.name, err, tc.want)
			}
			up, _ := tr.uploads(off)
			tampered := o.Transport.(*tamperTransport).changed()
			for _, d := range tampered {
				if up.Commits[d] {
					t.Errorf("the mirror committed the %s blob %s", tc.name, d)
				}
			}
			if len(tampered) == 0 {
				t.Error("no blob was changed on the way: the test tests nothing")
			}
		})
	}
}

// tamperTransport changes the blob bodies of 1 MiB or more the source
// serves (the components' own layers, not the release image's) and hides
// their length, so that only the bytes can tell.
type tamperTransport struct {
	base   http.RoundTripper
	source string
	change func([]byte) []byte
	mu     sync.Mutex
	digs   []string
}

func (tt *tamperTransport) changed() []string {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return slices.Clone(tt.digs)
}

func (tt *tamperTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := tt.base.RoundTrip(r)
	if err != nil || r.Method != http.MethodGet || r.URL.Host != tt.source || !strings.Contains(r.URL.Path, "/blobs/sha256:") || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(data) < 1<<20 {
		resp.Body = io.NopCloser(bytes.NewReader(data))
		return resp, nil
	}
	tt.mu.Lock()
	tt.digs = append(tt.digs, path.Base(r.URL.Path))
	tt.mu.Unlock()
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(tt.change(data))), -1
	resp.Header.Del("Content-Length")
	return resp, nil
}

// A registry error it calls temporary (here one 503 on a blob's PUT) costs
// a retry of that blob, not the mirror.
func TestMirrorRetriesATemporaryFailure(t *testing.T) {
	t.Parallel()
	src := startSourceRegistry(t)
	rel := pushPayload(t, src, synthrelease.Options{Components: 2})
	tr := startTestRegistry(t)
	o := tr.mirrorOptions(t, rel.Image)
	failing := &failOnceTransport{base: mustTransport(t, o)}
	log := &recLogger{}
	o.Transport, o.Log = failing, log
	m, err := Mirror(testenv.Context(t, 2*time.Minute), o)
	if err != nil {
		t.Fatalf("Mirror after one 503: %v", err)
	}
	if !failing.failed.Load() || !strings.Contains(log.String(), "trying again in 1s") {
		t.Errorf("want one failed PUT and a warning that it is tried again; log:\n%s", log)
	}
	if missing, err := CheckMirrored(testenv.Context(t, time.Minute), o, m); err != nil || len(missing) > 0 {
		t.Errorf("missing %v (err %v)", missing, err)
	}
}

// failOnceTransport answers the first blob PUT with 503 Service Unavailable.
type failOnceTransport struct {
	base   http.RoundTripper
	failed atomic.Bool
}

func (f *failOnceTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if isBlobData(r) && f.failed.CompareAndSwap(false, true) {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
		body := `{"errors":[{"code":"UNAVAILABLE","message":"service unavailable"}]}`
		return &http.Response{StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
	}
	return f.base.RoundTrip(r)
}
