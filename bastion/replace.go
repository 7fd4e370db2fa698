package bastion

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
)

// Replace is one checked replacement of a service's configuration file:
// check the candidate, keep the old file, write, ensure the service, and
// put the old file back when the service does not take the new one.
type Replace struct {
	// Program names the service's program in errors ("haproxy", "nginx").
	Program string
	// Path is the live file; Content the candidate (written 0644).
	Path    string
	Content []byte
	// Check validates the candidate before anything changes (haproxy -c,
	// nginx -t); a failure leaves the live file in place.
	Check func(ctx context.Context) error
	// Service is the service running a given configuration (its digest
	// decides between reload and restart).
	Service func(content []byte) Service
	// BeforeWrite, when set, runs just before a file is written (also
	// before a restore) and returns how to confirm that the service took
	// it once Ensure reported its action (haproxy's master socket).
	BeforeWrite func(ctx context.Context) (confirm func(ctx context.Context, a Action) error, err error)
}

// ReplaceResult says what Replace changed.
type ReplaceResult struct {
	// Written is set when the live file was replaced.
	Written bool
	Action  Action
}

// Replace puts r.Content live through the checked-replace path. Replacing
// the live content again writes nothing and leaves the service alone.
func (h *Host) Replace(ctx context.Context, r Replace) (ReplaceResult, error) {
	if err := r.Check(ctx); err != nil {
		return ReplaceResult{}, fmt.Errorf("%w\nthe live %s was left in place", err, r.Path)
	}
	old, err := h.Files.ReadFile(r.Path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return ReplaceResult{}, fmt.Errorf("failed to read %s: %w", r.Path, err)
	}
	confirm, err := r.beforeWrite(ctx)
	if err != nil {
		return ReplaceResult{}, err
	}
	written, err := h.Files.WriteFile(r.Path, r.Content, 0o644)
	if err != nil {
		return ReplaceResult{}, err
	}
	action, err := h.Services.Ensure(ctx, r.Service(r.Content))
	if err == nil && confirm != nil && !h.DryRun {
		err = confirm(ctx, action)
	}
	if err != nil {
		return ReplaceResult{}, h.restore(ctx, r, old, err)
	}
	return ReplaceResult{Written: written, Action: action}, nil
}

func (r Replace) beforeWrite(ctx context.Context) (func(context.Context, Action) error, error) {
	if r.BeforeWrite == nil {
		return nil, nil
	}
	return r.BeforeWrite(ctx)
}

// restore puts the previous file back after a failed start or reload and
// loads it again, so that file, digest and running service agree.
func (h *Host) restore(ctx context.Context, r Replace, old []byte, cause error) error {
	if old == nil {
		return fmt.Errorf("failed to start %s: %w", r.Program, cause)
	}
	if _, err := h.Files.WriteFile(r.Path, old, 0o644); err != nil {
		return fmt.Errorf("failed to reload %s: %w; restoring the previous %s also failed: %v", r.Program, cause, r.Path, err)
	}
	confirm, _ := r.beforeWrite(ctx)
	if action, err := h.Services.Ensure(ctx, r.Service(old)); err != nil {
		return fmt.Errorf("failed to reload %s: %w; the previous %s is back but did not load: %v", r.Program, cause, r.Path, err)
	} else if action == Reloaded && confirm != nil {
		_ = confirm(ctx, action)
	}
	return fmt.Errorf("failed to reload %s: %w\nthe previous %s was put back and keeps serving", r.Program, cause, r.Path)
}
