package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"golang.org/x/sync/errgroup"
)

// copier copies planned jobs into the mirror. Every blob the run needs is
// queued once, in the order the jobs first use it (shared layers are sent
// once, by whichever worker takes them), and Concurrency workers send the
// queue; each job writes its manifests and tags as soon as its own blobs
// are in. (Sending blobs job by job, a few jobs at a time, left workers
// idle while most jobs waited for the same large base layer:
// BenchmarkMirrorRelease measured it.)
type copier struct {
	c *clients
	o *MirrorOptions

	mu    sync.Mutex
	prog  Progress
	blobs map[v1.Hash]*blobTask
	queue []blobRef
}

type blobTask struct {
	done chan struct{}
	err  error
}

func newCopier(c *clients, o *MirrorOptions) *copier {
	return &copier{c: c, o: o, blobs: map[v1.Hash]*blobTask{}}
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
	next := make(chan blobRef)
	g.Go(func() error {
		defer close(next)
		for _, b := range cp.queue {
			select {
			case next <- b:
			case <-gctx.Done():
				return nil
			}
		}
		return nil
	})
	for range cp.o.concurrency() {
		g.Go(func() error {
			for b := range next {
				t := cp.blobs[b.desc.Digest]
				t.err = cp.send(gctx, b)
				close(t.done)
			}
			return nil
		})
	}
	// manifests are small: as many at once as blobs
	manifests := make(chan struct{}, cp.o.concurrency())
	for _, j := range jobs {
		g.Go(func() error {
			if err := cp.copyJob(gctx, j, manifests); err != nil {
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

// totals counts what is there and what is to send, and queues the blobs.
func (cp *copier) totals(jobs []*job) {
	cp.mu.Lock()
	cp.prog.ImagesTotal = len(jobs)
	for _, j := range jobs {
		if j.present && len(j.needTags) == 0 {
			cp.prog.ImagesDone++
		}
		for _, b := range j.blobs {
			if _, seen := cp.blobs[b.desc.Digest]; !seen {
				cp.blobs[b.desc.Digest] = &blobTask{done: make(chan struct{})}
				cp.queue = append(cp.queue, b)
				cp.prog.BytesTotal += b.desc.Size
			}
		}
	}
	cp.mu.Unlock()
	cp.report(func(*Progress) {})
}

// copyJob waits for a job's blobs, then writes its manifests (children
// first; the top one straight under its first missing tag, which also
// makes it reachable by digest) and its other tags.
func (cp *copier) copyJob(ctx context.Context, j *job, slots chan struct{}) error {
	if j.present && len(j.needTags) == 0 {
		return nil
	}
	for _, b := range j.blobs {
		t := cp.blobs[b.desc.Digest]
		select {
		case <-t.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if t.err != nil {
			return t.err
		}
	}
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-slots }()
	tags := j.needTags
	for i, m := range j.manifests {
		var ref name.Reference = cp.c.dstRepo.Digest(m.Digest.String())
		if i == len(j.manifests)-1 && len(tags) > 0 {
			ref, tags = cp.c.dstRepo.Tag(tags[0]), tags[1:]
		}
		if err := cp.c.push.Put(ctx, ref, m); err != nil {
			return fmt.Errorf("failed to write manifest %s: %w", m.Digest, err)
		}
		cp.report(func(p *Progress) { p.ManifestsWritten++ })
	}
	if err := cp.tag(ctx, j, tags); err != nil {
		return err
	}
	cp.report(func(p *Progress) { p.ImagesDone++ })
	return nil
}

// tag points the job's remaining missing tags at its digest.
func (cp *copier) tag(ctx context.Context, j *job, tags []string) error {
	if len(tags) == 0 {
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
	for _, t := range tags {
		if err := cp.c.push.Put(ctx, cp.c.dstRepo.Tag(t), desc); err != nil {
			return fmt.Errorf("failed to tag %s: %w", t, err)
		}
		cp.report(func(p *Progress) { p.ManifestsWritten++ })
	}
	return nil
}

// send copies one blob unless the mirror has it, trying again (twice,
// after 1 s and 4 s) when the registry or the network failed on the way.
func (cp *copier) send(ctx context.Context, b blobRef) error {
	var sent bool
	var err error
	for try, wait := 0, time.Second; ; try, wait = try+1, 4*wait {
		if sent, err = cp.c.blobs.copy(ctx, b, cp.c.mountFrom(b)); err == nil || try == 2 || !retryable(ctx, err) {
			break
		}
		cp.c.log.Warnf("blob %s: %v; trying again in %s", b.desc.Digest, err, wait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err != nil {
		return fmt.Errorf("failed to copy blob %s: %w", b.desc.Digest, err)
	}
	cp.report(func(p *Progress) {
		p.BytesDone += b.desc.Size
		if sent {
			p.BlobsUploaded++
			p.BytesUploaded += b.desc.Size
		} else {
			p.BlobsSkipped++
		}
	})
	return nil
}

// retryable is a failure another try may not meet: a dropped connection,
// a cut body, or a registry error it calls temporary (5xx, 429, 408).
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		return terr.Temporary()
	}
	var nerr net.Error
	return errors.As(err, &nerr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// mountFrom is a repository of the mirror to mount b from: its source
// repository when that is in the mirror registry, else MountFrom. A
// registry that lacks it there starts a normal upload.
func (c *clients) mountFrom(b blobRef) *name.Repository {
	if b.repo.RegistryStr() == c.dstRepo.RegistryStr() && b.repo.RepositoryStr() != c.dstRepo.RepositoryStr() {
		return &b.repo
	}
	return c.mount
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
