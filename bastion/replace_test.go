package bastion

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// TestReplace drives the checked replace with a real sandbox service: a
// failed check changes nothing, the same content twice writes nothing, and
// a service that does not take the new file gets the old one back.
func TestReplace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	h := NewHost(HostOptions{Root: root, Sandbox: true})
	t.Cleanup(func() { h.Services.(*Sandbox).StopAll(ctx) })
	path := h.Paths.Path("/etc/okdctl-test/test.conf")
	replace := func(content string) Replace {
		return Replace{Program: "test", Path: path, Content: []byte(content),
			Check: func(context.Context) error {
				if strings.Contains(content, "syntax error") {
					return errors.New("test: syntax error in the candidate")
				}
				return nil
			},
			Service: func(c []byte) Service {
				sum := sha256.Sum256(c)
				return sleeper(t, hex.EncodeToString(sum[:]))
			},
			BeforeWrite: func(context.Context) (func(context.Context, Action) error, error) {
				return func(_ context.Context, a Action) error {
					if strings.Contains(content, "rejected") {
						return errors.New("the service rejected the file after " + string(a))
					}
					return nil
				}, nil
			}}
	}

	if _, err := h.Replace(ctx, replace("rejected")); err == nil || !strings.HasPrefix(err.Error(), "failed to start test: ") {
		t.Fatalf("no old file, rejected: %v", err)
	}
	res, err := h.Replace(ctx, replace("v1"))
	if err != nil || !res.Written || (res.Action != Started && res.Action != Reloaded && res.Action != Restarted) {
		t.Fatalf("first replace: %+v %v", res, err)
	}
	if res, err := h.Replace(ctx, replace("v1")); err != nil || res.Written || res.Action != Unchanged {
		t.Fatalf("same content again: %+v %v", res, err)
	}
	if _, err := h.Replace(ctx, replace("v2 syntax error")); err == nil || !strings.Contains(err.Error(), "the live "+path+" was left in place") {
		t.Fatalf("failed check: %v", err)
	}
	if got := readFile(path); got != "v1" {
		t.Fatalf("a failed check changed the live file to %q", got)
	}
	_, err = h.Replace(ctx, replace("v3 rejected"))
	if err == nil || !strings.Contains(err.Error(), "the previous "+path+" was put back and keeps serving") {
		t.Fatalf("rejected reload: %v", err)
	}
	if got := readFile(path); got != "v1" {
		t.Fatalf("after a rejected reload the live file is %q, want the previous one", got)
	}
	if res, err := h.Replace(ctx, replace("v1")); err != nil || res.Written || res.Action != Unchanged {
		t.Fatalf("after the restore, the service runs the previous file's digest: %+v %v", res, err)
	}
}
