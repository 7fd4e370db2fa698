package webserver

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/testenv"
)

// BenchmarkRender renders the lab nginx.conf (pure).
func BenchmarkRender(b *testing.B) {
	in := goldenCases()["lab"]
	for b.Loop() {
		if _, err := Render(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyImage is the http phase's verification of one 32 MiB
// image through a real nginx: fetch, sha512 of the served and local bytes.
func BenchmarkVerifyImage(b *testing.B) {
	host := bastion.NewHost(bastion.HostOptions{Root: b.TempDir(), Sandbox: true})
	in := sandboxInput(b, host.Paths)
	d := &Deployer{Host: host, Binary: testenv.Binary(b, "nginx"), ConfigPath: host.Paths.Path("/etc/nginx.conf")}
	b.Cleanup(func() { _ = host.Services.Stop(context.Background(), ServiceName) })
	if _, err := d.Apply(context.Background(), in); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 32<<20)
	rand.Read(data)
	path := filepath.Join(in.WebRoot, InstallDir, "image.raw.xz")
	writeFile(b, path, data)
	testenv.WaitTCP(b, strings.TrimPrefix(in.BaseURL(), "http://"), 5*time.Second)
	v := &Verifier{BaseURL: in.BaseURL()}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := v.Files(context.Background(), []File{{URLPath: "/install/image.raw.xz", Local: path}}); err != nil {
			b.Fatal(err)
		}
	}
}
