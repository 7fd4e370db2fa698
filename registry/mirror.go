package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// MirrorOptions say what to mirror where.
type MirrorOptions struct {
	// Release is the release image (by tag or digest).
	Release string
	// Registry is the mirror as clients name it (registry.okd.example:5000).
	Registry string
	// Repository in the mirror (default: the release's repository path).
	Repository string
	// Pins connect to an address instead of resolving a host (Registry -> ip:port).
	Pins map[string]string
	// CACert (PEM) is trusted besides the system roots.
	CACert []byte
	// PullSecret holds the credentials for the sources and the mirror.
	PullSecret []byte
	// Platform picks the image of a multi-arch release (default
	// linux/<this arch>): only that image is mirrored, unless AllArchitectures.
	Platform *v1.Platform
	// AllArchitectures mirrors a multi-arch release's whole index.
	AllArchitectures bool
	// MountFrom is a repository of the mirror (a path such as
	// "openshift/okd-4-15") holding an earlier mirror: blobs it has are
	// mounted into Repository instead of sent again.
	MountFrom string
	// Concurrency bounds the blobs copied at once (default
	// DefaultConcurrency).
	Concurrency int
	// Progress is called as images and blobs finish (serialised).
	Progress func(Progress)
	// DataDir, when set, is the registry's storage on this machine: once
	// the manifests say how much is to copy, Mirror checks it has room
	// for that plus SpaceMargin before sending anything.
	DataDir string
	// FreeSpace probes DataDir's free bytes (default FreeSpace: statfs).
	FreeSpace func(dir string) (int64, error)
	// Transport replaces the transport built from Pins and CACert.
	Transport http.RoundTripper
	Log       Logger
}

// Progress is how far a mirror is.
type Progress struct {
	ImagesDone, ImagesTotal int
	BytesDone, BytesTotal   int64
	// BlobsUploaded were sent; BlobsSkipped were already in the mirror.
	BlobsUploaded, BlobsSkipped int
	BytesUploaded               int64
	// ManifestsWritten counts manifests and tags put into the mirror.
	ManifestsWritten int
}

// Changed reports whether the mirror was written to.
func (p Progress) Changed() bool { return p.BlobsUploaded > 0 || p.ManifestsWritten > 0 }

func (p Progress) String() string {
	return fmt.Sprintf("%d/%d images, %s/%s (%d blobs sent, %d already there)", p.ImagesDone, p.ImagesTotal,
		humanBytes(p.BytesDone), humanBytes(p.BytesTotal), p.BlobsUploaded, p.BlobsSkipped)
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// DefaultConcurrency is how many blobs a mirror copies at once. In
// BenchmarkMirrorRelease on a 2-core machine (busy, load 10-13) 8 beat 4
// in three alternating pairs (111-118 MB/s against 77-98) and cost less
// CPU (okdctl 3.5-4.1 s against 4.1-4.4, the registry 11.4-11.9 s against
// 12.6-13.3); a source across the internet wants more in flight, not fewer.
const DefaultConcurrency = 8

// clients are the registry clients of one mirror run.
type clients struct {
	src, dst *remote.Puller
	push     *remote.Pusher // manifests and tags
	blobs    *blobMover
	log      Logger
	dstRepo  name.Repository
	platform v1.Platform
	allArch  bool
	mount    *name.Repository // MountFrom in the mirror
}

func (o *MirrorOptions) clients(ctx context.Context) (*clients, name.Reference, error) {
	ref, err := name.ParseReference(o.Release)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to parse the release image %q: %w", o.Release, err)
	}
	repo := o.Repository
	if repo == "" {
		repo = ref.Context().RepositoryStr()
	}
	dstRepo, err := name.NewRepository(o.Registry + "/" + repo)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to name the mirror repository: %w", err)
	}
	t, err := o.transport()
	if err != nil {
		return nil, nil, err
	}
	kc, err := NewKeychain(o.PullSecret)
	if err != nil {
		return nil, nil, err
	}
	plat := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	if o.Platform != nil {
		plat = *o.Platform
	}
	jobs := o.concurrency()
	opts := []remote.Option{remote.WithTransport(t), remote.WithAuthFromKeychain(kc), remote.WithContext(ctx),
		remote.WithPlatform(plat), remote.WithJobs(jobs), remote.WithUserAgent("okdctl")}
	c := &clients{dstRepo: dstRepo, platform: plat, allArch: o.AllArchitectures, log: o.Log,
		blobs: newBlobMover(t, kc, dstRepo)}
	if c.log == nil {
		c.log = nopLogger{}
	}
	if o.MountFrom != "" && o.MountFrom != repo {
		m, err := name.NewRepository(o.Registry + "/" + o.MountFrom)
		if err != nil {
			return nil, nil, fmt.Errorf("failed to name the repository to mount from: %w", err)
		}
		c.mount = &m
	}
	if c.src, err = remote.NewPuller(opts...); err != nil {
		return nil, nil, err
	}
	if c.dst, err = remote.NewPuller(opts...); err != nil {
		return nil, nil, err
	}
	if c.push, err = remote.NewPusher(opts...); err != nil {
		return nil, nil, err
	}
	return c, ref, nil
}

func (o *MirrorOptions) concurrency() int {
	if o.Concurrency > 0 {
		return o.Concurrency
	}
	return DefaultConcurrency
}

// transport is Transport, else one built from Pins and CACert that speaks
// HTTP/1.1: a connection per blob in flight costs both ends less CPU than
// HTTP/2's frames multiplexed on one connection (BenchmarkMirrorRelease).
func (o *MirrorOptions) transport() (http.RoundTripper, error) {
	if o.Transport != nil {
		return o.Transport, nil
	}
	return NewTransport(TransportOptions{CACert: o.CACert, Pins: o.Pins, TLSHosts: []string{o.Registry}, HTTP1: true})
}

// Mirror copies the release image and every component it lists into the
// mirror by digest, concurrently and skipping what the mirror already has,
// and returns the mapping. An interrupted mirror resumes where it stopped;
// a finished one re-runs with one request per image and no upload.
func Mirror(ctx context.Context, o MirrorOptions) (*Mapping, error) {
	c, ref, err := o.clients(ctx)
	if err != nil {
		return nil, err
	}
	rel, err := c.resolveRelease(ctx, ref)
	if err != nil {
		return nil, err
	}
	comps, err := c.components(ctx, rel)
	if err != nil {
		return nil, err
	}
	jobs := planJobs(rel, comps, c.dstRepo)
	if err := newCopier(c, &o).run(ctx, jobs); err != nil {
		return nil, err
	}
	return mappingFor(&o, rel, comps, c.dstRepo), nil
}

// release is the resolved release image.
type release struct {
	given   name.Reference
	digest  name.Digest // source repository @ digest
	tag     string      // tag for the mirror
	present bool        // already in the mirror
}

// resolveRelease finds the release's digest and whether the mirror has it.
func (c *clients) resolveRelease(ctx context.Context, ref name.Reference) (*release, error) {
	rel, err := c.sourceRelease(ctx, ref)
	if err != nil {
		return nil, err
	}
	_, err = c.dst.Head(ctx, c.dstRepo.Digest(rel.digest.DigestStr()))
	rel.present = err == nil
	return rel, nil
}

// sourceRelease finds the digest of the release to mirror: that of the
// cluster's architecture when ref is an index and not all are asked for.
func (c *clients) sourceRelease(ctx context.Context, ref name.Reference) (*release, error) {
	desc, err := c.src.Head(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("failed to resolve the release image %s: %w", ref, err)
	}
	if desc.MediaType.IsIndex() && !c.allArch {
		// only the cluster's architecture: its own release image lists its own components
		if desc, err = c.platformManifest(ctx, ref); err != nil {
			return nil, err
		}
	}
	rel := &release{given: ref, digest: ref.Context().Digest(desc.Digest.String())}
	rel.tag = releaseTag(ref, desc.Digest)
	return rel, nil
}

// platformManifest is the descriptor of the index ref's image for the platform.
func (c *clients) platformManifest(ctx context.Context, ref name.Reference) (*v1.Descriptor, error) {
	desc, err := c.src.Get(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("failed to read the release index %s: %w", ref, err)
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return nil, fmt.Errorf("failed to parse the release index %s: %w", ref, err)
	}
	var archs []string
	for _, m := range idx.Manifests {
		if m.Platform != nil && m.Platform.Satisfies(c.platform) {
			return &m, nil
		}
		if m.Platform != nil {
			archs = append(archs, m.Platform.String())
		}
	}
	return nil, fmt.Errorf("failed to find the %s image in the release index %s: it has %s", c.platform.String(), ref, strings.Join(archs, ", "))
}

// components reads the release's image-references: from the mirror when
// it has the release already, else from the source. A release index (all
// architectures asked for) gives every architecture's components; those
// of other architectures than Platform's are named <name>-<arch>.
func (c *clients) components(ctx context.Context, rel *release) ([]Component, error) {
	puller, ref := c.src, rel.digest
	if rel.present {
		puller, ref = c.dst, c.dstRepo.Digest(rel.digest.DigestStr())
	}
	desc, err := puller.Get(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("failed to read the release image: %w", err)
	}
	if !desc.MediaType.IsIndex() {
		img, err := desc.Image()
		if err != nil {
			return nil, fmt.Errorf("failed to read the release image: %w", err)
		}
		return imageComponents(img, "")
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("failed to read the release index: %w", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("failed to read the release index: %w", err)
	}
	var out []Component
	for _, m := range im.Manifests {
		img, err := idx.Image(m.Digest)
		if err != nil {
			return nil, fmt.Errorf("failed to read the release image %s: %w", m.Digest, err)
		}
		suffix := ""
		if m.Platform != nil && !m.Platform.Satisfies(c.platform) {
			suffix = "-" + m.Platform.Architecture
		}
		comps, err := imageComponents(img, suffix)
		if err != nil {
			return nil, err
		}
		out = append(out, comps...)
	}
	return out, nil
}

func imageComponents(img v1.Image, suffix string) ([]Component, error) {
	data, err := ReadImageReferences(img)
	if err != nil {
		return nil, err
	}
	comps, err := ParseImageReferences(data)
	for i := range comps {
		comps[i].Name += suffix
	}
	return comps, err
}

var tagUnsafe = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

// releaseTag is the tag the mirrored release carries: the source tag, or
// one made from the digest.
func releaseTag(ref name.Reference, digest v1.Hash) string {
	if t, ok := ref.(name.Tag); ok {
		return t.TagStr()
	}
	return "release-" + digest.Hex[:12]
}

// componentTag tags a component as `oc adm release mirror` does:
// <release tag>-<component>, so that registry garbage collection keeps it.
func componentTag(releaseTag, component string) string {
	t := tagUnsafe.ReplaceAllString(releaseTag+"-"+component, "-")
	t = strings.TrimLeft(t, ".-")
	if len(t) > 128 { // keep it unique: a digest of the whole name ends it
		sum := sha256.Sum256([]byte(t))
		t = t[:115] + "-" + hex.EncodeToString(sum[:])[:12]
	}
	return t
}

// mappingFor records where everything went.
func mappingFor(o *MirrorOptions, rel *release, comps []Component, dst name.Repository) *Mapping {
	m := &Mapping{
		Release: o.Release, ReleaseDigest: rel.digest.DigestStr(), ReleaseTag: rel.tag,
		ReleaseMirror: dst.Digest(rel.digest.DigestStr()).String(), Repository: dst.String(),
	}
	repos := []string{rel.digest.Context().String()}
	for _, c := range comps {
		repos = append(repos, c.Image.Context().String())
		m.Images = append(m.Images, ImageMapping{Name: c.Name, Source: c.Image.String(),
			Mirror: dst.Digest(c.Image.DigestStr()).String()})
	}
	m.Sources = sourcesFor(repos, dst.String())
	return m
}

// CheckMirrored lists the mapping's manifests missing from the mirror.
func CheckMirrored(ctx context.Context, o MirrorOptions, m *Mapping) ([]string, error) {
	c, _, err := o.clients(ctx)
	if err != nil {
		return nil, err
	}
	var (
		mu      sync.Mutex
		missing []string
		errs    []error
		wg      sync.WaitGroup
		sem     = make(chan struct{}, o.concurrency())
	)
	for _, d := range m.Digests() {
		ref, err := name.NewDigest(d)
		if err != nil {
			return nil, fmt.Errorf("failed to read the mirror mapping: %w", err)
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			present, err := c.exists(ctx, ref)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else if !present {
				missing = append(missing, d)
			}
		}()
	}
	wg.Wait()
	return missing, errors.Join(errs...)
}
