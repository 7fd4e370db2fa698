package verify

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/okdctl/okdctl/registry"
)

const areaRegistry = "registry"

func (g *RegistryInput) fixOwner() string {
	if g.External {
		return "the site's registry"
	}
	return "okdctl's registry (okdctl apply --only registry)"
}

func (g *RegistryInput) check(ctx context.Context) []Result {
	e := g.Endpoint
	tlsLine := Result{Area: areaRegistry, Check: fmt.Sprintf("TLS of %s verifies for %s and %s against the CA install-config trusts", e.Addr(), e.Name, e.IP), Required: true}
	probes, err := registry.Probes(ctx, e) // the registry phase's own checks
	if err != nil {
		tlsLine.Status, tlsLine.Detail, tlsLine.Fix = Fail, err.Error(), "give the registry's CA certificate (PEM)"
		return []Result{tlsLine}
	}
	var bad []string
	var out []Result
	for _, p := range probes {
		switch {
		case p.Kind == registry.ProbeTLS && p.Err != nil:
			bad = append(bad, p.Err.Error())
		case p.Kind != registry.ProbeTLS:
			out = append(out, g.authResult(p))
		}
	}
	if len(bad) > 0 {
		tlsLine.Status, tlsLine.Detail = Fail, strings.Join(bad, "; ")
		tlsLine.Fix = "the registry's certificate must chain to the trusted CA and carry both its name and its IP as SANs: reissue it in " + g.fixOwner() + ", or trust its CA"
		return []Result{tlsLine}
	}
	tlsLine.Status, tlsLine.Detail = Pass, "verified by name and IP"
	pool, _ := e.Pool()
	out = append([]Result{tlsLine}, out...)
	return append(out, g.release(ctx, e.Client(pool)))
}

// authResult is one of the registry's authentication probes as a result.
func (g *RegistryInput) authResult(p registry.Probe) Result {
	names := map[registry.ProbeKind]string{registry.ProbeAnonymous: "anonymous access refused",
		registry.ProbeWrongPassword: "a wrong password refused", registry.ProbeCredentials: "the credentials are accepted"}
	r := Result{Area: areaRegistry, Check: names[p.Kind], Required: true}
	if p.Err == nil {
		r.Status, r.Detail = Pass, "as wanted"
		return r
	}
	r.Status, r.Detail = Fail, p.Err.Error()
	if p.Kind == registry.ProbeCredentials {
		r.Fix = "check the registry's user and password (the auth file of the spec)"
	} else {
		r.Fix = "require authentication (htpasswd) in " + g.fixOwner()
	}
	return r
}

// head asks for a path with the credentials.
func (g *RegistryInput) head(ctx context.Context, client *http.Client, path string, accept ...string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, "https://"+g.Endpoint.Host()+path, nil)
	if err != nil {
		return 0, err
	}
	req.SetBasicAuth(g.Endpoint.User, g.Endpoint.Password)
	for _, a := range accept {
		req.Header.Add("Accept", a)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// release checks that the mirrored release image is present by digest.
func (g *RegistryInput) release(ctx context.Context, client *http.Client) Result {
	r := Result{Area: areaRegistry, Check: "mirrored release present by digest", Required: true}
	if g.Release == "" {
		r.Status, r.Detail, r.Fix = NotYet, "not mirrored yet", "okdctl apply mirrors it (mirror phase)"
		return r
	}
	repo, digest, ok := strings.Cut(g.Release, "@")
	if i := strings.Index(repo, "/"); ok && i > 0 {
		repo = repo[i+1:] // the repository path below the registry's host
	}
	if !ok {
		r.Status, r.Detail = Fail, g.Release+" names no digest"
		return r
	}
	r.Check += " (" + digest[:min(len(digest), 19)] + "…)"
	code, err := g.head(ctx, client, "/v2/"+repo+"/manifests/"+digest,
		"application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
		"application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json")
	switch {
	case err != nil:
		r.Status, r.Detail = Fail, err.Error()
	case code != http.StatusOK:
		r.Status, r.Detail = Fail, fmt.Sprintf("HEAD %s answers %d", g.Release, code)
		r.Fix = "mirror the release again (okdctl apply --only mirror)"
	default:
		r.Status, r.Detail = Pass, g.Release
	}
	return r
}
