package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// blobMover copies blobs from their source registries into the mirror in
// the fewest requests the distribution API has: HEAD (is it there
// already?), POST (start an upload, or mount the blob from another
// repository of the mirror), then one PUT carrying the bytes and the
// digest. (go-containerregistry's pusher sends the bytes in a PATCH and
// commits with a second, empty PUT: one request more per blob, and the
// registry stores and fsyncs a hash state in between; BenchmarkMirrorRelease
// measured it.)
//
// It does not hash the bytes itself: the mirror registry hashes every blob
// as it receives it and refuses to commit one whose sha256 is not the
// digest named in the PUT (400 DIGEST_INVALID), which is the digest in the
// manifest; okdctl checks the size. So a blob the source (or anything on
// the way) altered never enters the mirror, and the bastion's CPU is not
// spent on a second hash of the same bytes.
type blobMover struct {
	base   http.RoundTripper
	keys   authn.Keychain
	dst    name.Repository
	mu     sync.Mutex
	byRepo map[string]*authed // authenticated transports by scope set
}

// authed is an authenticated transport, made once (a registry ping and,
// for token auth, a token) and shared; a failure is not kept, so that a
// retry tries again.
type authed struct {
	mu sync.Mutex
	rt http.RoundTripper
}

func newBlobMover(base http.RoundTripper, keys authn.Keychain, dst name.Repository) *blobMover {
	return &blobMover{base: transport.NewUserAgent(base, "okdctl"), keys: keys, dst: dst, byRepo: map[string]*authed{}}
}

// client is an HTTP client authenticated for reg with scopes.
func (m *blobMover) client(ctx context.Context, reg name.Registry, res authn.Resource, scopes ...string) (*http.Client, error) {
	key := reg.RegistryStr() + " " + strings.Join(scopes, " ")
	m.mu.Lock()
	a, ok := m.byRepo[key]
	if !ok {
		a = &authed{}
		m.byRepo[key] = a
	}
	m.mu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rt == nil {
		auth, err := m.keys.Resolve(res)
		if err != nil {
			return nil, fmt.Errorf("failed to find credentials for %s: %w", reg.RegistryStr(), err)
		}
		if a.rt, err = transport.NewWithContext(ctx, reg, auth, m.base, scopes); err != nil {
			return nil, err
		}
	}
	return &http.Client{Transport: a.rt}, nil
}

// copy puts blob b into the mirror unless it is there; from, when set, is
// a repository of the mirror to mount it from. sent says whether the
// bytes were read from the source.
func (m *blobMover) copy(ctx context.Context, b blobRef, from *name.Repository) (sent bool, err error) {
	scopes := []string{m.dst.Scope(transport.PushScope)}
	if from != nil {
		scopes = append(scopes, from.Scope(transport.PullScope))
	}
	dst, err := m.client(ctx, m.dst.Registry, m.dst, scopes...)
	if err != nil {
		return false, err
	}
	if there, err := m.exists(ctx, dst, b.desc.Digest); err != nil || there {
		return false, err
	}
	loc, err := m.start(ctx, dst, b.desc.Digest, from)
	if err != nil || loc == nil { // nil: mounted
		return false, err
	}
	body, err := m.open(ctx, b)
	if err != nil {
		return false, err
	}
	defer body.Close()
	return true, m.put(ctx, dst, loc, b.desc, body)
}

// blobURL is /v2/<repo>/blobs/<digest> on repo's registry.
func blobURL(repo name.Repository, d v1.Hash) string {
	return fmt.Sprintf("%s://%s/v2/%s/blobs/%s", repo.Registry.Scheme(), repo.RegistryStr(), repo.RepositoryStr(), d)
}

// exists asks the mirror whether it has the blob.
func (m *blobMover) exists(ctx context.Context, c *http.Client, d v1.Hash) (bool, error) {
	resp, err := do(ctx, c, http.MethodHead, blobURL(m.dst, d), nil, -1)
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, transport.CheckError(resp, http.StatusOK, http.StatusNotFound)
}

// start opens an upload (or mounts the blob from from: then it returns nil).
func (m *blobMover) start(ctx context.Context, c *http.Client, d v1.Hash, from *name.Repository) (*url.URL, error) {
	u := fmt.Sprintf("%s://%s/v2/%s/blobs/uploads/", m.dst.Registry.Scheme(), m.dst.RegistryStr(), m.dst.RepositoryStr())
	if from != nil {
		u += "?" + url.Values{"mount": {d.String()}, "from": {from.RepositoryStr()}}.Encode()
	}
	resp, err := do(ctx, c, http.MethodPost, u, nil, 0)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, http.StatusCreated, http.StatusAccepted); err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusCreated {
		return nil, nil
	}
	loc, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("the mirror started an upload without a location: %w", err)
	}
	return loc, nil
}

// open streams the blob from its source, checked against its size.
func (m *blobMover) open(ctx context.Context, b blobRef) (io.ReadCloser, error) {
	c, err := m.client(ctx, b.repo.Registry, b.repo, b.repo.Scope(transport.PullScope))
	if err != nil {
		return nil, err
	}
	resp, err := do(ctx, c, http.MethodGet, blobURL(b.repo, b.desc.Digest), nil, -1)
	if err != nil {
		return nil, err
	}
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("failed to read it from %s: %w", b.repo, err)
	}
	if resp.ContentLength >= 0 && resp.ContentLength != b.desc.Size {
		resp.Body.Close()
		return nil, fmt.Errorf("%s sends %d bytes for it, its manifest says %d", b.repo, resp.ContentLength, b.desc.Size)
	}
	return &sizedBody{ReadCloser: resp.Body, left: b.desc.Size, from: b.repo.String()}, nil
}

// put sends the bytes and commits them under the digest (one request).
func (m *blobMover) put(ctx context.Context, c *http.Client, loc *url.URL, desc v1.Descriptor, body io.Reader) error {
	q := loc.Query()
	q.Set("digest", desc.Digest.String())
	u := *loc
	u.RawQuery = q.Encode()
	resp, err := do(ctx, c, http.MethodPut, u.String(), body, desc.Size)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	err = transport.CheckError(resp, http.StatusCreated)
	var terr *transport.Error
	if errors.As(err, &terr) && hasCode(terr, transport.DigestInvalidErrorCode) {
		return fmt.Errorf("the mirror registry refused it: its content does not hash to the digest its manifest names (the source served other bytes): %w", err)
	}
	return err
}

func hasCode(e *transport.Error, code transport.ErrorCode) bool {
	for _, d := range e.Errors {
		if d.Code == code {
			return true
		}
	}
	return false
}

// do sends one request (size: the body's length, -1 for no body).
func do(ctx context.Context, c *http.Client, method, u string, body io.Reader, size int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if size >= 0 {
		req.ContentLength = size
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Body = io.NopCloser(body) // the caller closes the source
		req.GetBody = nil
	}
	return c.Do(req)
}

// sizedBody passes on exactly the blob's size in bytes (whatever a source
// sends beyond is not the blob: the registry checks the digest of what it
// got) and fails a body that ends short, rather than passing a truncated
// blob on.
type sizedBody struct {
	io.ReadCloser
	left int64
	from string
}

func (s *sizedBody) Read(p []byte) (int, error) {
	if s.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	n, err := s.ReadCloser.Read(p)
	s.left -= int64(n)
	if err == io.EOF && s.left > 0 {
		return n, fmt.Errorf("%s sent %d bytes too few: %w", s.from, s.left, io.ErrUnexpectedEOF)
	}
	if err == io.EOF {
		err = nil // the next read says EOF
	}
	return n, err
}
