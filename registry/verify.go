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

// Verify checks the registry from a client's side: TLS verifies against the
// CA for the name and for the IP, anonymous requests and a wrong password
// are refused with 401, and the credentials are accepted. It returns every
// failure at once.
func Verify(ctx context.Context, e Endpoint) error {
	pool, err := e.Pool()
	if err != nil {
		return err
	}
	var errs []error
	for _, serverName := range []string{e.Name, e.IP} {
		if err := CheckTLS(ctx, e.Addr(), serverName, pool); err != nil {
			errs = append(errs, fmt.Errorf("TLS for %s does not verify against okdctl's CA: %w", serverName, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	checks := []struct {
		what       string
		user, pass string
		want       int
	}{
		{"anonymous access", "", "", http.StatusUnauthorized},
		{"a wrong password", e.User, "okdctl-wrong-" + strconv.FormatInt(time.Now().UnixNano(), 36), http.StatusUnauthorized},
		{"the credentials", e.User, e.Password, http.StatusOK},
	}
	client := e.client(pool)
	for _, c := range checks {
		code, err := getV2(ctx, client, e.Host(), c.user, c.pass)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("failed to check %s: %w", c.what, err))
		case code != c.want:
			errs = append(errs, fmt.Errorf("%s got HTTP %d from %s/v2/, want %d", c.what, code, e.Host(), c.want))
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

// client is an HTTP client that reaches Name:Port at IP:Port and trusts only the CA.
func (e Endpoint) client(pool *x509.CertPool) *http.Client {
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
