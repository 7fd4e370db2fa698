package registry

import (
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/synthrelease"
	"github.com/okdctl/okdctl/internal/testenv"
)

// BenchmarkMirror mirrors one synthetic payload (a release and 12
// components sharing 3 MiB of base layers) from a plain-HTTP loopback
// registry into okdctl's TLS registry: with Mirror, with `skopeo copy` of
// each image one by one, and again with Mirror into a finished mirror. Each
// iteration writes to a fresh repository, so every blob is sent again.
// The registry's resident memory is reported idle (started, empty) and at
// its peak.
func BenchmarkMirror(b *testing.B) {
	src := startSourceRegistry(b)
	rel := pushPayload(b, src, synthrelease.Options{Components: 12, BaseLayers: 3, BaseLayerSize: 1 << 20, UniqueLayerSize: 256 << 10})
	tr := startTestRegistry(b)
	pid := tr.Host.Services.(*bastion.Sandbox).PID(ServiceName)
	idle, _ := testenv.Memory(b, pid)
	memory := func(b *testing.B) {
		_, peak := testenv.Memory(b, pid)
		b.ReportMetric(idle, "registry-idle-MiB")
		b.ReportMetric(peak, "registry-peak-MiB")
	}
	run := time.Now().UnixNano()
	b.Run("okdctl", func(b *testing.B) {
		b.SetBytes(rel.Bytes)
		for i := 0; i < b.N; i++ {
			o := tr.mirrorOptions(b, rel.Image)
			o.Repository = fmt.Sprintf("bench/okdctl-%d-%d", run, i)
			if _, err := Mirror(testenv.Context(b, 5*time.Minute), o); err != nil {
				b.Fatal(err)
			}
		}
		memory(b)
	})
	b.Run("skopeo-one-by-one", func(b *testing.B) {
		b.SetBytes(rel.Bytes)
		for i := 0; i < b.N; i++ {
			skopeoMirror(b, tr, rel, fmt.Sprintf("bench/skopeo-%d-%d", run, i))
		}
		memory(b)
	})
	b.Run("okdctl-rerun-finished", func(b *testing.B) {
		o := tr.mirrorOptions(b, rel.Image)
		o.Repository = fmt.Sprintf("bench/okdctl-finished-%d", run)
		if _, err := Mirror(testenv.Context(b, 5*time.Minute), o); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := Mirror(testenv.Context(b, time.Minute), o); err != nil {
				b.Fatal(err)
			}
		}
		memory(b)
	})
}

// skopeoMirror copies the release and each component with one skopeo
// process per image, as a shell loop over image-references would.
func skopeoMirror(b *testing.B, tr *testRegistry, rel *synthrelease.Release, repo string) {
	skopeo := testenv.Binary(b, "skopeo")
	certs := tr.CADir(b)
	relRef, err := name.ParseReference(rel.Image)
	if err != nil {
		b.Fatal(err)
	}
	images := []string{relRef.Context().Digest(rel.Digest).String()}
	for _, c := range rel.Components {
		images = append(images, c.Image)
	}
	for i, img := range images {
		ref, err := name.ParseReference(img)
		if err != nil {
			b.Fatal(err)
		}
		dst := fmt.Sprintf("docker://%s/%s:image-%d", tr.Res.Endpoint.Addr(), repo, i)
		out, err := exec.Command(skopeo, "--insecure-policy", "copy", "--quiet", "--preserve-digests",
			"--src-tls-verify=false", "--dest-authfile", tr.In.Layout.PullSecret, "--dest-cert-dir", certs,
			"docker://"+ref.String(), dst).CombinedOutput()
		if err != nil {
			b.Fatalf("skopeo copy %s: %v\n%s", img, err, out)
		}
	}
}
