package registryserve_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/registry"
	"github.com/okdctl/okdctl/registry/registryserve"
)

func TestParseArgs(t *testing.T) {
	t.Parallel()
	if p, err := registryserve.ParseArgs([]string{"/etc/okdctl/registry/config.yml"}); err != nil || p != "/etc/okdctl/registry/config.yml" {
		t.Fatalf("ParseArgs = %q, %v", p, err)
	}
	for _, args := range [][]string{nil, {"a", "b"}, {"--config", "x"}, {""}} {
		if _, err := registryserve.ParseArgs(args); err == nil || !strings.Contains(err.Error(), "config.yml") {
			t.Errorf("ParseArgs(%q) = %v, want an error naming config.yml", args, err)
		}
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(path, []byte("version: 0.1\nstorage: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := registryserve.Load(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Load(bad yaml) = %v, want an error naming %s", err, path)
	}
}

// TestServeRegistry runs `okdctl serve registry config.yml` with the
// config.yml, certificate and htpasswd okdctl writes: TLS, 401 without the
// password, a push and pull with it, and a clean stop on SIGTERM.
func TestServeRegistry(t *testing.T) {
	t.Parallel()
	addr, conf, ca := registryConfig(t)
	p := testenv.Start(t, testenv.Okdctl(t), "serve", "registry", conf)
	testenv.WaitTCP(t, addr, 30*time.Second)

	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://" + addr + "/v2/")
	if err != nil {
		t.Fatalf("GET /v2/ over TLS: %v\n%s", err, p.Log.String())
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /v2/ without a password: %s, want 401", resp.Status)
	}
	ref, err := name.ParseReference(addr + "/okd/release:test")
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	auth := remote.WithAuth(&authn.Basic{Username: "admin", Password: "s3cret-pass"})
	ctx := testenv.Context(t, time.Minute)
	if err := remote.Write(ref, img, auth, remote.WithTransport(tr), remote.WithContext(ctx)); err != nil {
		t.Fatalf("push: %v\n%s", err, p.Log.String())
	}
	want, _ := img.Digest()
	got, err := remote.Head(ref, auth, remote.WithTransport(tr), remote.WithContext(ctx))
	if err != nil || got.Digest != want {
		t.Fatalf("pull: %v, digest %v want %v", err, got, want)
	}
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(15 * time.Second); !p.Exited(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still running 15s after SIGTERM\n%s", p.Log.String())
		}
	}
	if code := p.Cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit status %d after SIGTERM\n%s", code, p.Log.String())
	}
}

// registryConfig writes the config.yml, certificate and htpasswd okdctl
// writes for a registry on a free loopback port.
func registryConfig(t *testing.T) (addr, conf string, ca *registry.KeyPair) {
	t.Helper()
	dir := t.TempDir()
	addr = fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t, "127.0.0.1"))
	now := time.Now()
	ca, err := registry.NewCA("okdctl test CA", now)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := registry.NewLeaf(ca, registry.LeafRequest{DNSName: "registry.test", IP: "127.0.0.1"}, now)
	if err != nil {
		t.Fatal(err)
	}
	htpasswd, err := registry.Htpasswd("admin", "s3cret-pass")
	if err != nil {
		t.Fatal(err)
	}
	c := registry.Config{Addr: addr, CertFile: filepath.Join(dir, "registry.crt"), KeyFile: filepath.Join(dir, "registry.key"),
		HtpasswdFile: filepath.Join(dir, "htpasswd"), DataDir: filepath.Join(dir, "data")}
	config, err := registry.RenderConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	conf = filepath.Join(dir, "config.yml")
	for path, data := range map[string][]byte{c.CertFile: leaf.CertPEM, c.KeyFile: leaf.KeyPEM, c.HtpasswdFile: htpasswd, conf: config} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return addr, conf, ca
}

// TestServeRegistryExportsNoTraces points the OpenTelemetry exporter that
// distribution would use by default (OTLP, https://localhost:4318) at a
// listener of the test and serves requests: okdctl's registry must not dial
// it. Without the fix the exporter connects within its 100 ms batch delay.
func TestServeRegistryExportsNoTraces(t *testing.T) {
	t.Parallel()
	addr, conf, ca := registryConfig(t)
	collector, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer collector.Close()
	dialled := make(chan string, 16)
	go func() {
		for {
			c, err := collector.Accept()
			if err != nil {
				return
			}
			dialled <- c.RemoteAddr().String()
			c.Close()
		}
	}()
	cmd := exec.Command(testenv.Okdctl(t), "serve", "registry", conf)
	cmd.Env = append(os.Environ(), "OTEL_EXPORTER_OTLP_ENDPOINT=http://"+collector.Addr().String(),
		"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf", "OTEL_BSP_SCHEDULE_DELAY=100")
	var log testenv.SafeBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	testenv.WaitTCP(t, addr, 30*time.Second)
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	for i := 0; i < 5; i++ {
		resp, err := client.Get("https://" + addr + "/v2/")
		if err != nil {
			t.Fatalf("GET /v2/: %v\n%s", err, log.String())
		}
		resp.Body.Close()
	}
	select {
	case from := <-dialled:
		t.Fatalf("the registry dialled the trace collector (from %s)\n%s", from, log.String())
	case <-time.After(2 * time.Second):
	}
}
