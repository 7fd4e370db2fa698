package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"golang.org/x/sync/errgroup"
)

// job is one manifest (image or index) to mirror, under one or more tags.
type job struct {
	what   string // for messages: "release" or the component names
	source name.Digest
	tags   []string
	// filled by plan
	present   bool
	needTags  []string
	manifests []*remote.Descriptor // put order: children before parents
	blobs     []blobRef
}

type blobRef struct {
	repo name.Repository // where the blob is read from
	desc v1.Descriptor
}

// planJobs makes one job per distinct digest: the release and its components.
func planJobs(rel *release, comps []Component, dst name.Repository) []*job {
	jobs := []*job{{what: "release", source: rel.digest, tags: []string{rel.tag}}}
	byDigest := map[string]*job{rel.digest.DigestStr(): jobs[0]}
	for _, c := range comps {
		tag := componentTag(rel.tag, c.Name)
		if j, ok := byDigest[c.Image.DigestStr()]; ok {
			j.tags = append(j.tags, tag)
			j.what += ", " + c.Name
			continue
		}
		j := &job{what: c.Name, source: c.Image, tags: []string{tag}}
		byDigest[c.Image.DigestStr()] = j
		jobs = append(jobs, j)
	}
	return jobs
}

// exists reports whether the mirror has ref (404 is no, other errors fail).
func (c *clients) exists(ctx context.Context, ref name.Reference) (bool, error) {
	_, err := c.dst.Head(ctx, ref)
	return headResult(err)
}

func headResult(err error) (bool, error) {
	if err == nil {
		return true, nil
	}
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return false, nil
	}
	return false, fmt.Errorf("failed to check the mirror: %w", err)
}

// plan finds out what the mirror lacks for j: tags pointing at the digest
// mean the image is there; otherwise its manifests and blobs are listed.
func (c *clients) plan(ctx context.Context, j *job) error {
	for _, t := range j.tags {
		desc, err := c.dst.Head(ctx, c.dstRepo.Tag(t))
		if _, herr := headResult(err); herr != nil {
			return herr
		}
		if err == nil && desc.Digest.String() == j.source.DigestStr() {
			j.present = true
			continue
		}
		j.needTags = append(j.needTags, t)
	}
	if !j.present {
		present, err := c.exists(ctx, c.dstRepo.Digest(j.source.DigestStr()))
		if err != nil {
			return err
		}
		j.present = present
	}
	if j.present {
		return nil
	}
	return c.collect(ctx, j, j.source)
}

// collect lists the manifests and blobs of ref (recursing into indexes).
func (c *clients) collect(ctx context.Context, j *job, ref name.Digest) error {
	desc, err := c.src.Get(ctx, ref)
	if err != nil {
		return fmt.Errorf("failed to read %s: %w", ref, err)
	}
	switch {
	case desc.MediaType.IsIndex():
		idx, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
		if err != nil {
			return fmt.Errorf("failed to parse the index %s: %w", ref, err)
		}
		for _, m := range idx.Manifests {
			if err := c.collect(ctx, j, ref.Context().Digest(m.Digest.String())); err != nil {
				return err
			}
		}
	case desc.MediaType.IsImage():
		m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
		if err != nil {
			return fmt.Errorf("failed to parse the manifest %s: %w", ref, err)
		}
		j.blobs = append(j.blobs, blobRef{ref.Context(), m.Config})
		for _, l := range m.Layers {
			if l.MediaType.IsDistributable() {
				j.blobs = append(j.blobs, blobRef{ref.Context(), l})
			}
		}
	default:
		return fmt.Errorf("failed to mirror %s: manifests of type %s are not supported", ref, desc.MediaType)
	}
	j.manifests = append(j.manifests, desc)
	return nil
}

// planAll plans every job, a few at a time.
func (c *clients) planAll(ctx context.Context, jobs []*job, limit int) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for _, j := range jobs {
		g.Go(func() error {
			if err := c.plan(ctx, j); err != nil {
				return fmt.Errorf("failed to plan the mirror of %s: %w", j.what, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// collectAll lists every job's manifests and blobs from the source, a few
// jobs at a time.
func (c *clients) collectAll(ctx context.Context, jobs []*job, limit int) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for _, j := range jobs {
		g.Go(func() error {
			if err := c.collect(ctx, j, j.source); err != nil {
				return fmt.Errorf("failed to read the manifests of %s: %w", j.what, err)
			}
			return nil
		})
	}
	return g.Wait()
}
