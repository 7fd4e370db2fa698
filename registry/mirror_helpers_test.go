package registry

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/synthrelease"
	"github.com/okdctl/okdctl/internal/testenv"
)

// startSourceRegistry runs the anonymous plain-HTTP source registry.
func startSourceRegistry(t testing.TB) string { return synthrelease.StartSource(t) }

// pushPayload pushes a synthetic release into the source registry.
func pushPayload(t testing.TB, src string, o synthrelease.Options) *synthrelease.Release {
	t.Helper()
	o.Registry = src
	rel, err := synthrelease.Push(testenv.Context(t, time.Minute), o)
	if err != nil {
		t.Fatalf("failed to push the synthetic release: %v", err)
	}
	return rel
}

// mirrorOptions mirrors rel into the okdctl registry tr.
func (tr *testRegistry) mirrorOptions(t testing.TB, release string) MirrorOptions {
	ps, err := os.ReadFile(tr.In.Layout.PullSecret)
	if err != nil {
		t.Fatal(err)
	}
	e := tr.Res.Endpoint
	return MirrorOptions{Release: release, Registry: e.Host(), Pins: map[string]string{e.Host(): e.Addr()},
		CACert: e.CACert, PullSecret: ps, Repository: "openshift/okd", Concurrency: 4}
}

// uploadLog reads what the registry's access log says was uploaded.
type uploadLog struct {
	Starts    int             // POST .../blobs/uploads/
	Manifests int             // PUT .../manifests/...
	Commits   map[string]bool // digests of PUT .../blobs/uploads/...?digest=
}

var (
	manifestRE = regexp.MustCompile(`"PUT /v2/[^ ]+/manifests/[^ ]+ HTTP`)
	postRE     = regexp.MustCompile(`"POST /v2/[^ ]+/blobs/uploads/[^ ]* HTTP`)
	commitRE   = regexp.MustCompile(`"PUT /v2/[^ ]+/blobs/uploads/[^ ]*[?&]digest=sha256(?::|%3A)([0-9a-f]{64})[^ ]* HTTP/[0-9.]+" 201`)
)

// uploads parses the registry log from byte offset from.
func (tr *testRegistry) uploads(from int) (uploadLog, int) {
	log := tr.ServiceLog()
	part := log[min(from, len(log)):]
	u := uploadLog{Starts: len(postRE.FindAllString(part, -1)), Manifests: len(manifestRE.FindAllString(part, -1)), Commits: map[string]bool{}}
	for _, m := range commitRE.FindAllStringSubmatch(part, -1) {
		u.Commits["sha256:"+m[1]] = true
	}
	return u, len(log)
}

func digestsOf(m map[string]bool) string {
	var out []string
	for d := range m {
		out = append(out, d[:19])
	}
	return strings.Join(out, " ")
}
