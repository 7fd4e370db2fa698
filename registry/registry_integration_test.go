package registry

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/testenv"
)

func TestEnsureRunsAVerifiedRegistry(t *testing.T) {
	t.Parallel()
	tr := startTestRegistry(t)
	password := tr.Password(t)
	if len(tr.Extra) != 1 || tr.Extra[0] != password {
		t.Errorf("AddSecret got %d secrets, want exactly the password", len(tr.Extra))
	}
	l := tr.In.Layout
	for path, mode := range map[string]os.FileMode{l.CAKey: 0o600, l.Key: 0o600, l.Password: 0o600,
		l.Htpasswd: 0o600, l.PullSecret: 0o600, l.CACert: 0o644, l.Cert: 0o644} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %04o, want %04o", filepath.Base(path), fi.Mode().Perm(), mode)
		}
	}
	ctx := testenv.Context(t, time.Minute)
	if err := Verify(ctx, tr.Res.Endpoint); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	ps, _ := os.ReadFile(l.PullSecret)
	for _, host := range []string{tr.Res.Endpoint.Host(), tr.Res.Endpoint.Addr(), "quay.io"} {
		if _, _, ok := Credentials(ps, host); !ok {
			t.Errorf("the pull secret has no credentials for %s", host)
		}
	}
	if !strings.Contains(string(ps), `"email":"me@example.com"`) {
		t.Errorf("the user's pull secret entry was not kept as it was")
	}
	assertNoSecret(t, password, "Ensure's log", tr.Log.String())
	assertNoSecret(t, password, "the registry's log", tr.ServiceLog())
}

func TestEnsureTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	tr := startTestRegistry(t)
	sb := tr.Host.Services.(*bastion.Sandbox)
	pid := sb.PID(ServiceName)
	before := tr.Host.Changes()
	ctx := testenv.Context(t, time.Minute)
	res, err := Ensure(ctx, tr.Host, tr.In)
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != bastion.Unchanged || tr.Host.Changes() != before || sb.PID(ServiceName) != pid {
		t.Errorf("second Ensure: action %s, %d file changes, pid %d -> %d", res.Action, tr.Host.Changes()-before, pid, sb.PID(ServiceName))
	}
}

// endpointTransport reaches the registry by its name, pinned to its IP,
// trusting okdctl's CA, as the mirror does.
func endpointTransport(t testing.TB, e Endpoint) remote.Option {
	t.Helper()
	tr, err := NewTransport(TransportOptions{CACert: e.CACert, Pins: map[string]string{e.Host(): e.Addr()}, TLSHosts: []string{e.Host(), e.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	return remote.WithTransport(tr)
}

func TestGoContainerRegistryClient(t *testing.T) {
	t.Parallel()
	tr := startTestRegistry(t)
	e := tr.Res.Endpoint
	ctx := testenv.Context(t, time.Minute)
	img, err := random.Image(64<<10, 2)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := name.ParseReference(e.Host() + "/test/ggcr:v1")
	auth := remote.WithAuth(&authn.Basic{Username: e.User, Password: e.Password})
	if err := remote.Write(ref, img, endpointTransport(t, e), auth, remote.WithContext(ctx)); err != nil {
		t.Fatalf("push with the credentials and okdctl's CA: %v", err)
	}
	got, err := remote.Image(ref, endpointTransport(t, e), auth, remote.WithContext(ctx))
	if err != nil {
		t.Fatalf("pull: %v", err)
	}
	wantDigest, _ := img.Digest()
	gotDigest, _ := got.Digest()
	if gotDigest != wantDigest {
		t.Errorf("pulled %s, pushed %s", gotDigest, wantDigest)
	}
	// By IP, with the pull secret as keychain.
	ps, _ := os.ReadFile(tr.In.Layout.PullSecret)
	kc, err := NewKeychain(ps)
	if err != nil {
		t.Fatal(err)
	}
	byIP, _ := name.ParseReference(e.Addr() + "/test/ggcr:v1")
	if _, err := remote.Head(byIP, endpointTransport(t, e), remote.WithAuthFromKeychain(kc), remote.WithContext(ctx)); err != nil {
		t.Errorf("head by IP with the pull secret: %v", err)
	}
	for what, opt := range map[string]remote.Option{
		"anonymous":      remote.WithAuth(authn.Anonymous),
		"wrong password": remote.WithAuth(&authn.Basic{Username: e.User, Password: e.Password + "x"}),
	} {
		_, err := remote.Head(ref, endpointTransport(t, e), opt, remote.WithContext(ctx))
		if err == nil || !strings.Contains(err.Error(), "401") && !strings.Contains(err.Error(), "UNAUTHORIZED") {
			t.Errorf("%s: got %v, want 401 Unauthorized", what, err)
		}
		if err != nil {
			assertNoSecret(t, e.Password, what+" error", err.Error())
		}
	}
}

func TestSkopeoClient(t *testing.T) {
	t.Parallel()
	tr := startTestRegistry(t)
	e := tr.Res.Endpoint
	skopeo := testenv.Binary(t, "skopeo")
	ctx := testenv.Context(t, 2*time.Minute)
	src := filepath.Join(tr.Root, "oci-src")
	img := ociImage(t, 2, 32<<10)
	p, err := layout.Write(src, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "v1"})); err != nil {
		t.Fatal(err)
	}
	certs, authfile := tr.CADir(t), tr.In.Layout.PullSecret
	dst := "docker://" + e.Addr() + "/test/skopeo:v1"
	var outputs []string
	run := func(args ...string) (string, error) {
		out, err := exec.CommandContext(ctx, skopeo, append([]string{"--insecure-policy"}, args...)...).CombinedOutput()
		outputs = append(outputs, string(out))
		return string(out), err
	}
	if out, err := run("copy", "--dest-authfile", authfile, "--dest-cert-dir", certs, "oci:"+src+":v1", dst); err != nil {
		t.Fatalf("skopeo push: %v\n%s", err, out)
	}
	out, err := run("inspect", "--authfile", authfile, "--cert-dir", certs, dst)
	if err != nil {
		t.Fatalf("skopeo inspect: %v\n%s", err, out)
	}
	var info struct{ Digest string }
	_ = json.Unmarshal([]byte(out), &info)
	if want, _ := img.Digest(); info.Digest != want.String() {
		t.Errorf("skopeo sees %s, pushed %s", info.Digest, want)
	}
	if out, err := run("copy", "--src-authfile", authfile, "--src-cert-dir", certs, dst, "oci:"+filepath.Join(tr.Root, "oci-dst")+":v1"); err != nil {
		t.Fatalf("skopeo pull: %v\n%s", err, out)
	}
	for what, flags := range map[string][]string{
		"anonymous":      {"--no-creds"},
		"wrong password": {"--creds", e.User + ":not-the-password"},
	} {
		out, err := run(append(append([]string{"inspect"}, flags...), "--cert-dir", certs, dst)...)
		if err == nil || !strings.Contains(strings.ToLower(out), "unauthorized") && !strings.Contains(out, "authentication required") {
			t.Errorf("skopeo %s: err %v, output %s; want refused", what, err, out)
		}
	}
	if out, err := run("inspect", "--authfile", authfile, dst); err == nil {
		t.Errorf("skopeo without okdctl's CA trusted the registry:\n%s", out)
	}
	assertNoSecret(t, e.Password, "skopeo output", strings.Join(outputs, "\n"))
	assertNoSecret(t, e.Password, "the registry's log", tr.ServiceLog())
}

func assertNoSecret(t *testing.T, secret, where, text string) {
	t.Helper()
	if secret == "" {
		t.Fatal("empty secret")
	}
	if strings.Contains(text, secret) {
		t.Errorf("the password appears in %s", where)
	}
}

// ociImage is a random image with OCI media types (skopeo's oci: transport
// ignores Docker ones).
func ociImage(t testing.TB, layers int, size int64) v1.Image {
	t.Helper()
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	for i := 0; i < layers; i++ {
		l, err := random.Layer(size, types.OCILayer)
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.AppendLayers(img, l); err != nil {
			t.Fatal(err)
		}
	}
	return img
}
