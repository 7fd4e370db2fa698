package day2

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
)

// download copies a root-owned file of the machine into local (0600) by
// `sudo cat`, and checks it against the machine's own sha256sum.
func (r *remote) download(ctx context.Context, remotePath, local string) (string, int64, error) {
	want, err := r.sha256(ctx, "sudo sha256sum "+shellQuote(remotePath))
	if err != nil {
		return "", 0, err
	}
	tmp := local + ".part"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return "", 0, fmt.Errorf("failed to create %s: %w", tmp, err)
	}
	defer os.Remove(tmp)
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	err = r.run(ctx, "sudo cat "+shellQuote(remotePath), nil, cw)
	if cerr := f.Sync(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("failed to copy %s from %s: %w", remotePath, r.name, err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got != want {
		return "", 0, fmt.Errorf("the copy of %s from %s is damaged: sha256 %s, the master says %s", remotePath, r.name, got, want)
	}
	return got, cw.n, os.Rename(tmp, local)
}

// upload copies local to remotePath (as the login user) and checks it.
func (r *remote) upload(ctx context.Context, local, remotePath, want string) error {
	f, err := os.Open(local)
	if err != nil {
		return fmt.Errorf("failed to read %s: %w", local, err)
	}
	defer f.Close()
	if err := r.run(ctx, "umask 077 && cat > "+shellQuote(remotePath), f, io.Discard); err != nil {
		return fmt.Errorf("failed to copy %s to %s: %w", local, r.name, err)
	}
	got, err := r.sha256(ctx, "sha256sum "+shellQuote(remotePath))
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("the copy of %s on %s is damaged: sha256 %s, want %s", local, r.name, got, want)
	}
	return nil
}

// sha256 runs a sha256sum command and returns the hash it prints.
func (r *remote) sha256(ctx context.Context, cmd string) (string, error) {
	out, err := r.output(ctx, cmd)
	if err != nil {
		return "", err
	}
	sum, _, _ := strings.Cut(strings.TrimSpace(out), " ")
	if len(sum) != 64 {
		return "", fmt.Errorf("%s on %s printed %q, not a sha256", cmd, r.name, out)
	}
	return sum, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// fileSHA256 hashes a local file.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
