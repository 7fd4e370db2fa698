package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

// TransportOptions shape the HTTP transport registry clients use.
type TransportOptions struct {
	// CACert (PEM) is trusted in addition to the system roots.
	CACert []byte
	// Pins connect to an address instead of resolving a host:
	// "registry.okd.example:5000" -> "192.168.120.101:5000".
	Pins map[string]string
	// TLSHosts (host:port) are always reached over https: go-containerregistry
	// would otherwise use plain http for loopback and RFC 1918 addresses.
	TLSHosts []string
	// Base is the transport to copy (default http.DefaultTransport).
	Base *http.Transport
	// HTTP1 keeps to HTTP/1.1 with 64 KiB buffers (bulk blob data: see
	// MirrorOptions.transport).
	HTTP1 bool
}

// NewTransport builds the transport for registry clients.
func NewTransport(o TransportOptions) (http.RoundTripper, error) {
	base := o.Base
	if base == nil {
		base = http.DefaultTransport.(*http.Transport)
	}
	t := base.Clone()
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if len(o.CACert) > 0 && !pool.AppendCertsFromPEM(o.CACert) {
		return nil, errors.New("failed to load the registry CA: not a PEM certificate")
	}
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	t.MaxIdleConnsPerHost = 32
	if o.HTTP1 {
		t.ForceAttemptHTTP2 = false
		t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		t.WriteBufferSize, t.ReadBufferSize = 64<<10, 64<<10
	}
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if pinned, ok := o.Pins[addr]; ok {
			addr = pinned
		}
		return d.DialContext(ctx, network, addr)
	}
	if len(o.TLSHosts) == 0 {
		return t, nil
	}
	hosts := map[string]bool{}
	for _, h := range o.TLSHosts {
		hosts[h] = true
	}
	return &httpsOnly{base: t, hosts: hosts}, nil
}

// httpsOnly upgrades plain-http requests for TLS hosts to https, so that
// credentials never travel in the clear and TLS registries on private
// addresses work with go-containerregistry.
type httpsOnly struct {
	base  http.RoundTripper
	hosts map[string]bool
}

func (h *httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && h.hosts[req.URL.Host] {
		r := req.Clone(req.Context())
		r.URL.Scheme = "https"
		return h.base.RoundTrip(r)
	}
	return h.base.RoundTrip(req)
}

// Keychain resolves registry credentials from a pull secret's auths.
type Keychain struct {
	auths map[string]authn.AuthConfig
}

var _ authn.Keychain = (*Keychain)(nil)

// NewKeychain reads a pull secret ({"auths":{host:{auth|username,password}}}).
func NewKeychain(pullSecret []byte) (*Keychain, error) {
	var ps struct {
		Auths map[string]authn.AuthConfig `json:"auths"`
	}
	if len(strings.TrimSpace(string(pullSecret))) > 0 {
		if err := json.Unmarshal(pullSecret, &ps); err != nil {
			// the cause names the field, never the secret's content
			return nil, fmt.Errorf("failed to read the pull secret: it is not JSON with \"auths\" of base64(user:password) entries (%v)", err)
		}
	}
	k := &Keychain{auths: map[string]authn.AuthConfig{}}
	for host, a := range ps.Auths {
		host = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(host, "https://"), "http://"), "/")
		if a.Auth != "" && a.Username == "" {
			if dec, err := base64.StdEncoding.DecodeString(a.Auth); err == nil {
				a.Username, a.Password, _ = strings.Cut(string(dec), ":")
				a.Auth = ""
			}
		}
		k.auths[host] = a
	}
	return k, nil
}

// Resolve implements authn.Keychain.
func (k *Keychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	host := r.RegistryStr()
	for _, key := range []string{host, strings.TrimSuffix(host, ":443")} {
		if a, ok := k.auths[key]; ok {
			return authn.FromConfig(a), nil
		}
	}
	if host == "index.docker.io" {
		if a, ok := k.auths["docker.io"]; ok {
			return authn.FromConfig(a), nil
		}
	}
	return authn.Anonymous, nil
}
