package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/synthrelease"
)

func main() {
	var o synthrelease.Options
	root := flag.String("root", "", "the sandbox root (as okdctl --root)")
	flag.StringVar(&o.Registry, "addr", "127.0.0.1:15001", "loopback host:port of the source registry")
	flag.StringVar(&o.ReleaseRepo, "repo", "okd/release", "release repository")
	flag.StringVar(&o.ContentRepo, "content-repo", "okd/content", "component repository")
	flag.StringVar(&o.Tag, "tag", "4.16.0-0.okd-sandbox", "release tag")
	flag.IntVar(&o.Components, "components", 8, "number of component images")
	flag.Parse()
	if err := run(*root, o); err != nil {
		fmt.Fprintln(os.Stderr, "ERROR:", err)
		os.Exit(1)
	}
}

func run(root string, o synthrelease.Options) error {
	if root == "" {
		return fmt.Errorf("--root is required")
	}
	if host, _, err := net.SplitHostPort(o.Registry); err != nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("--addr %s must be a loopback host:port", o.Registry)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := serve(ctx, root, o.Registry); err != nil {
		return err
	}
	ref, err := name.NewTag(o.Registry + "/" + o.ReleaseRepo + ":" + o.Tag)
	if err != nil {
		return err
	}
	// stdout is the release by digest alone, as openshift-install reports
	// the release it installs (the sandbox hands it to the double)
	if desc, err := remote.Head(ref, remote.WithContext(ctx)); err == nil {
		fmt.Fprintf(os.Stderr, "synthetic release present: %s (%s)\n", ref, desc.Digest)
		fmt.Printf("%s@%s\n", ref.Context().Name(), desc.Digest)
		return nil
	}
	rel, err := synthrelease.Push(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "synthetic release pushed: %s (%s, %d components, %d blobs, %d bytes)\n", rel.Image, rel.Digest, len(rel.Components), rel.Blobs, rel.Bytes)
	fmt.Printf("%s@%s\n", ref.Context().Name(), rel.Digest)
	return nil
}

// okdctl serves the registry: the one beside synthrelease (make build puts
// both in bin/), else okdctl on PATH.
func okdctl() (string, error) {
	if p, ok := bastion.Beside("okdctl"); ok {
		return p, nil
	}
	bin, err := bastion.LookPath("okdctl")
	if err != nil {
		return "", fmt.Errorf("failed to find okdctl to serve the source registry: %w (run `make build`)", err)
	}
	return bin, nil
}

// serve keeps the source registry running as a sandbox service.
func serve(ctx context.Context, root, addr string) error {
	bin, err := okdctl()
	if err != nil {
		return err
	}
	paths := bastion.Paths{Root: root}
	dir := paths.Path("/var/lib/okdctl-demo/release-source")
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n", filepath.Join(dir, "data"), addr)
	path := filepath.Join(dir, "config.yml")
	if _, err := (&bastion.DiskFiles{}).WriteFile(path, []byte(cfg), 0o644); err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(cfg))
	svc := bastion.Service{Name: "okdctl-release-source", Command: []string{bin, "serve", "registry", path}, ConfigDigest: hex.EncodeToString(sum[:])}
	if _, err := (&bastion.Sandbox{Paths: paths}).Ensure(ctx, svc); err != nil {
		return err
	}
	return bastion.Poll(ctx, bastion.WaitOptions{What: "the source registry at " + addr, Timeout: 20 * time.Second,
		Interval: 100 * time.Millisecond}, func(ctx context.Context) (bool, error) {
		return bastion.DialTCP(ctx, addr) == nil, nil
	})
}
