package registry

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Payload is the size of what a mirror of a release copies, read from the
// source's manifests alone (the mirror registry need not run yet).
type Payload struct {
	Images int
	Blobs  int
	Bytes  int64
}

func (p Payload) String() string {
	return fmt.Sprintf("%d images, %d blobs, %s", p.Images, p.Blobs, humanBytes(p.Bytes))
}

// PayloadSize reads the release's manifests from the source and adds up
// its distinct blobs: the most a mirror of it writes.
func PayloadSize(ctx context.Context, o MirrorOptions) (Payload, error) {
	c, ref, err := o.clients(ctx)
	if err != nil {
		return Payload{}, err
	}
	rel, err := c.sourceRelease(ctx, ref)
	if err != nil {
		return Payload{}, err
	}
	comps, err := c.components(ctx, rel)
	if err != nil {
		return Payload{}, err
	}
	jobs := planJobs(rel, comps, c.dstRepo)
	if err := c.collectAll(ctx, jobs, o.concurrency()); err != nil {
		return Payload{}, err
	}
	p := Payload{Images: len(jobs)}
	seen := map[v1.Hash]bool{}
	for _, j := range jobs {
		for _, b := range j.blobs {
			if !seen[b.desc.Digest] {
				seen[b.desc.Digest] = true
				p.Blobs++
				p.Bytes += b.desc.Size
			}
		}
	}
	return p, nil
}
