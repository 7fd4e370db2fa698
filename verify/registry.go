package verify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

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
	pool, err := e.Pool()
	if err != nil {
		tlsLine.Status, tlsLine.Detail, tlsLine.Fix = Fail, err.Error(), "give the registry's CA certificate (PEM)"
		return []Result{tlsLine}
	}
	var bad []string
	for _, name := range []string{e.Name, e.IP} {
		if err := registry.CheckTLS(ctx, e.Addr(), name, pool); err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", name, err))
		}
	}
	if len(bad) > 0 {
		tlsLine.Status, tlsLine.Detail = Fail, strings.Join(bad, "; ")
		tlsLine.Fix = "the registry's certificate must chain to the trusted CA and carry both its name and its IP as SANs: reissue it in " + g.fixOwner() + ", or trust its CA"
		return []Result{tlsLine}
	}
	tlsLine.Status, tlsLine.Detail = Pass, "verified by name and IP"
	client := g.client(pool)
	out := []Result{tlsLine, g.auth(ctx, client, "anonymous access refused", "", "", http.StatusUnauthorized),
		g.auth(ctx, client, "the credentials are accepted", e.User, e.Password, http.StatusOK)}
	return append(out, g.release(ctx, client))
}

// client reaches the registry's name at its IP and trusts only its CA.
func (g *RegistryInput) client(pool *x509.CertPool) *http.Client {
	host, addr := g.Endpoint.Host(), g.Endpoint.Addr()
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
			if a == host {
				a = addr
			}
			return d.DialContext(ctx, network, a)
		}}}
}

func (g *RegistryInput) get(ctx context.Context, client *http.Client, method, path, user, pass string, accept ...string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, "https://"+g.Endpoint.Host()+path, nil)
	if err != nil {
		return 0, err
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
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

func (g *RegistryInput) auth(ctx context.Context, client *http.Client, name, user, pass string, want int) Result {
	r := Result{Area: areaRegistry, Check: name, Required: true}
	code, err := g.get(ctx, client, http.MethodGet, "/v2/", user, pass)
	switch {
	case err != nil:
		r.Status, r.Detail = Fail, err.Error()
	case code != want:
		r.Status, r.Detail = Fail, fmt.Sprintf("GET /v2/ answers %d, want %d", code, want)
	default:
		r.Status, r.Detail = Pass, fmt.Sprintf("GET /v2/ answers %d", code)
		return r
	}
	if user == "" {
		r.Fix = "require authentication (htpasswd) in " + g.fixOwner()
	} else {
		r.Fix = "check the registry's user and password (the auth file of the spec)"
	}
	return r
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
	code, err := g.get(ctx, client, http.MethodHead, "/v2/"+repo+"/manifests/"+digest, g.Endpoint.User, g.Endpoint.Password,
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
