package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Endpoint is how a client reaches and authenticates to a registry; it is
// all verification needs, so an existing registry can be verified too.
type Endpoint struct {
	// Name is the registry's DNS name (registry.<cluster>.<baseDomain>).
	Name string
	// IP is where Name points; the client connects here.
	IP   string
	Port int
	// CACert is the PEM CA the registry's certificate must chain to.
	CACert   []byte
	User     string
	Password string
}

// Host is name:port, as pull secrets and image references say it.
func (e Endpoint) Host() string { return net.JoinHostPort(e.Name, strconv.Itoa(e.Port)) }

// Addr is ip:port, where clients connect.
func (e Endpoint) Addr() string { return net.JoinHostPort(e.IP, strconv.Itoa(e.Port)) }

// Pool is a cert pool holding only the endpoint's CA.
func (e Endpoint) Pool() (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(e.CACert) {
		return nil, errors.New("the registry CA is not a PEM certificate")
	}
	return pool, nil
}

// Probe is one check of a registry from a client's side; Err is nil when
// it passed.
type Probe struct {
	Kind ProbeKind
	What string
	Err  error
}

// ProbeKind says what a Probe checked.
type ProbeKind int

// The probes, in the order Probes runs them.
const (
	ProbeTLS           ProbeKind = iota // TLS verifies against the CA for one server name
	ProbeAnonymous                      // an anonymous request is refused (401)
	ProbeWrongPassword                  // a wrong password is refused (401)
	ProbeCredentials                    // the credentials are accepted (200)
)

// Probes checks the registry from a client's side: TLS verifies against
// the CA for the name and for the IP, then (only when TLS holds) anonymous
// requests and a wrong password are refused with 401 and the credentials
// are accepted. It is the one implementation of these checks: the
// registry phase's result check (Verify) and okdctl verify both use it.
func Probes(ctx context.Context, e Endpoint) ([]Probe, error) {
	pool, err := e.Pool()
	if err != nil {
		return nil, err
	}
	var out []Probe
	tlsOK := true
	for _, serverName := range []string{e.Name, e.IP} {
		p := Probe{Kind: ProbeTLS, What: "TLS for " + serverName}
		if err := CheckTLS(ctx, e.Addr(), serverName, pool); err != nil {
			p.Err, tlsOK = fmt.Errorf("TLS for %s does not verify against the registry's CA: %w", serverName, err), false
		}
		out = append(out, p)
	}
	if !tlsOK {
		return out, nil
	}
	checks := []struct {
		kind       ProbeKind
		what       string
		user, pass string
		want       int
	}{
		{ProbeAnonymous, "anonymous access", "", "", http.StatusUnauthorized},
		{ProbeWrongPassword, "a wrong password", e.User, "okdctl-wrong-" + strconv.FormatInt(time.Now().UnixNano(), 36), http.StatusUnauthorized},
		{ProbeCredentials, "the credentials", e.User, e.Password, http.StatusOK},
	}
	client := e.Client(pool)
	for _, c := range checks {
		p := Probe{Kind: c.kind, What: c.what}
		code, err := getV2(ctx, client, e.Host(), c.user, c.pass)
		switch {
		case err != nil:
			p.Err = fmt.Errorf("failed to check %s: %w", c.what, err)
		case code != c.want:
			p.Err = fmt.Errorf("%s got HTTP %d from %s/v2/, want %d", c.what, code, e.Host(), c.want)
		}
		out = append(out, p)
	}
	return out, nil
}

// Verify is every failed Probe at once (nil when all pass).
func Verify(ctx context.Context, e Endpoint) error {
	probes, err := Probes(ctx, e)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range probes {
		if p.Err != nil {
			errs = append(errs, p.Err)
		}
	}
	return errors.Join(errs...)
}

// CheckTLS completes a TLS handshake with addr verifying serverName.
func CheckTLS(ctx context.Context, addr, serverName string, pool *x509.CertPool) error {
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second},
		Config: &tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12}}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}

// Client is an HTTP client that reaches Name:Port at IP:Port and trusts only the CA.
func (e Endpoint) Client(pool *x509.CertPool) *http.Client {
	t := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		DialContext:         pinnedDialer(e.Host(), e.Addr()),
		TLSHandshakeTimeout: 5 * time.Second,
	}
	return &http.Client{Transport: t, Timeout: 10 * time.Second}
}

// pinnedDialer connects to addr whenever host is asked for.
func pinnedDialer(host, addr string) func(ctx context.Context, network, a string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return func(ctx context.Context, network, a string) (net.Conn, error) {
		if a == host {
			a = addr
		}
		return d.DialContext(ctx, network, a)
	}
}

func getV2(ctx context.Context, client *http.Client, host, user, pass string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+host+"/v2/", nil)
	if err != nil {
		return 0, err
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
