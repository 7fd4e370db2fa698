package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"
)

// copier copies planned jobs into the mirror: every blob once (shared
// layers are sent by one job while the others wait for it), at most
// Concurrency blobs at a time, then the manifests and tags.
type copier struct {
	c     *clients
	o     *MirrorOptions
	slots chan struct{}

	mu    sync.Mutex
	prog  Progress
	blobs map[v1.Hash]*blobTask
}

type blobTask struct {
	done chan struct{}
	err  error
}

func newCopier(c *clients, o *MirrorOptions) *copier {
	return &copier{c: c, o: o, slots: make(chan struct{}, o.concurrency()), blobs: map[v1.Hash]*blobTask{}}
}

// run plans and copies the jobs.
func (cp *copier) run(ctx context.Context, jobs []*job) error {
	if err := cp.c.planAll(ctx, jobs, cp.o.concurrency()); err != nil {
		return err
	}
	cp.totals(jobs)
	if dir := cp.o.DataDir; dir != "" {
		if err := CheckDiskSpace(dir, cp.snapshot().BytesTotal, cp.o.FreeSpace); err != nil {
			return err
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cp.o.concurrency())
	for _, j := range jobs {
		g.Go(func() error {
			if err := cp.copyJob(gctx, j); err != nil {
				return fmt.Errorf("failed to mirror %s (%s): %w", j.what, j.source, err)
			}
			return nil
		})
	}
	err := g.Wait()
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("mirror interrupted (%s); run it again to resume: %w", cp.snapshot(), ctx.Err())
	}
	return err
}

// totals counts what is there and what is to send.
func (cp *copier) totals(jobs []*job) {
	cp.mu.Lock()
	seen := map[v1.Hash]bool{}
	cp.prog.ImagesTotal = len(jobs)
	for _, j := range jobs {
		if j.present && len(j.needTags) == 0 {
			cp.prog.ImagesDone++
		}
		for _, b := range j.blobs {
			if !seen[b.desc.Digest] {
				seen[b.desc.Digest] = true
				cp.prog.BytesTotal += b.desc.Size
			}
		}
	}
	cp.mu.Unlock()
	cp.report(func(*Progress) {})
}

// copyJob sends a job's blobs, then its manifests, then its tags.
func (cp *copier) copyJob(ctx context.Context, j *job) error {
	if j.present && len(j.needTags) == 0 {
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, b := range j.blobs {
		g.Go(func() error { return cp.blob(gctx, b) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, m := range j.manifests {
		if err := cp.c.push.Put(ctx, cp.c.dstRepo.Digest(m.Digest.String()), m); err != nil {
			return fmt.Errorf("failed to write manifest %s: %w", m.Digest, err)
		}
		cp.report(func(p *Progress) { p.ManifestsWritten++ })
	}
	if err := cp.tag(ctx, j); err != nil {
		return err
	}
	cp.report(func(p *Progress) { p.ImagesDone++ })
	return nil
}

// tag points the job's missing tags at its digest.
func (cp *copier) tag(ctx context.Context, j *job) error {
	if len(j.needTags) == 0 {
		return nil
	}
	var desc *remote.Descriptor
	if n := len(j.manifests); n > 0 {
		desc = j.manifests[n-1] // the top manifest, just written
	} else {
		var err error
		if desc, err = cp.c.dst.Get(ctx, cp.c.dstRepo.Digest(j.source.DigestStr())); err != nil {
			return fmt.Errorf("failed to read back %s: %w", j.source.DigestStr(), err)
		}
	}
	for _, t := range j.needTags {
		if err := cp.c.push.Put(ctx, cp.c.dstRepo.Tag(t), desc); err != nil {
			return fmt.Errorf("failed to tag %s: %w", t, err)
		}
		cp.report(func(p *Progress) { p.ManifestsWritten++ })
	}
	return nil
}

// blob makes sure one blob is in the mirror, sending it at most once per run.
func (cp *copier) blob(ctx context.Context, b blobRef) error {
	cp.mu.Lock()
	t, running := cp.blobs[b.desc.Digest]
	if !running {
		t = &blobTask{done: make(chan struct{})}
		cp.blobs[b.desc.Digest] = t
	}
	cp.mu.Unlock()
	if running {
		select {
		case <-t.done:
			return t.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	t.err = cp.send(ctx, b)
	close(t.done)
	return t.err
}

// send uploads one blob unless the mirror has it (the pusher checks first).
func (cp *copier) send(ctx context.Context, b blobRef) error {
	select {
	case cp.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-cp.slots }()
	l := &sourceBlob{ctx: ctx, puller: cp.c.src, ref: b.repo.Digest(b.desc.Digest.String()), desc: b.desc}
	if err := cp.c.push.Upload(ctx, cp.c.dstRepo, cp.c.mountable(b, l)); err != nil {
		return fmt.Errorf("failed to copy blob %s: %w", b.desc.Digest, err)
	}
	cp.report(func(p *Progress) {
		p.BytesDone += b.desc.Size
		if l.opened.Load() {
			p.BlobsUploaded++
			p.BytesUploaded += b.desc.Size
		} else {
			p.BlobsSkipped++
		}
	})
	return nil
}

// mountable offers the registry a repository of its own to mount the blob
// from: the source repository when it is in the mirror registry, else
// MountFrom. A registry that lacks it there starts a normal upload.
func (c *clients) mountable(b blobRef, l v1.Layer) v1.Layer {
	from := c.mount
	if b.repo.RegistryStr() == c.dstRepo.RegistryStr() && b.repo.RepositoryStr() != c.dstRepo.RepositoryStr() {
		from = &b.repo
	}
	if from == nil {
		return l
	}
	return &remote.MountableLayer{Layer: l, Reference: from.Digest(b.desc.Digest.String())}
}

// report updates the progress and calls the callback, one call at a time.
func (cp *copier) report(update func(*Progress)) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	update(&cp.prog)
	if cp.o.Progress != nil {
		cp.o.Progress(cp.prog)
	}
}

func (cp *copier) snapshot() Progress {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return cp.prog
}

// sourceBlob is a blob of the source registry, described by its manifest
// entry and fetched only when the mirror lacks it.
type sourceBlob struct {
	ctx    context.Context
	puller *remote.Puller
	ref    name.Digest
	desc   v1.Descriptor
	opened atomic.Bool
}

var _ v1.Layer = (*sourceBlob)(nil)

func (b *sourceBlob) Digest() (v1.Hash, error)            { return b.desc.Digest, nil }
func (b *sourceBlob) Size() (int64, error)                { return b.desc.Size, nil }
func (b *sourceBlob) MediaType() (types.MediaType, error) { return b.desc.MediaType, nil }
func (b *sourceBlob) DiffID() (v1.Hash, error) {
	return v1.Hash{}, errors.New("the diff ID of a mirrored blob is not needed")
}
func (b *sourceBlob) Uncompressed() (io.ReadCloser, error) {
	return nil, errors.New("a mirrored blob is copied compressed")
}

// Compressed streams the blob from the source (its digest is verified on the way).
func (b *sourceBlob) Compressed() (io.ReadCloser, error) {
	b.opened.Store(true)
	l, err := b.puller.Layer(b.ctx, b.ref)
	if err != nil {
		return nil, err
	}
	return l.Compressed()
}
