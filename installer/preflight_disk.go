package installer

import (
	"context"
	"time"

	"github.com/okdctl/okdctl/registry"
)

// payloadSizeTimeout bounds preflight's reading of the release manifests.
const payloadSizeTimeout = 2 * time.Minute

// mirrorSpace checks that the registry's storage has room for the release
// payload plus a margin, sized from the source's manifests. A source that
// cannot be read yet is a warning: the mirror phase checks again.
func mirrorSpace(ctx context.Context, rc *RunContext, freeSpace func(string) (int64, error)) []string {
	if !rc.Spec().MirrorEnabled() {
		return nil
	}
	ps, err := userPullSecret(rc.Spec())
	if err != nil {
		return []string{err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, payloadSizeTimeout)
	defer cancel()
	o := registry.MirrorOptions{Release: rc.Spec().Release.Image, Registry: registryHost(rc), PullSecret: ps,
		AllArchitectures: rc.Spec().Registry.AllArchitectures}
	size, err := registry.PayloadSize(ctx, o)
	if err != nil {
		rc.Log().Warnf("could not size the release payload to check the registry's disk (%v): the mirror phase checks it before copying", err)
		return nil
	}
	dir := registryLayout(rc).DataDir
	if err := registry.CheckDiskSpace(dir, size.Bytes, freeSpace); err != nil {
		return []string{err.Error()}
	}
	rc.Log().Infof("the release payload is %s; the registry's storage %s has room for it", size, dir)
	return nil
}
