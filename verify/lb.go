package verify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const areaLB = "loadbalancer"

func (l *LBInput) ports() (api, mc, http, https int) {
	return or(l.APIPort, 6443), or(l.MachineConfigPort, 22623), or(l.HTTPPort, 80), or(l.HTTPSPort, 443)
}

func or(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func (l *LBInput) who() string {
	if l.External {
		return "the site's load balancer"
	}
	return "okdctl's HAProxy (okdctl apply --only loadbalancer)"
}

func (l *LBInput) check(ctx context.Context) []Result {
	api, mc, httpPort, httpsPort := l.ports()
	type frontend struct {
		name, ip string
		port     int
	}
	fronts := []frontend{{"api", l.API, api}, {"api-int", l.APIInt, api}, {"api-int", l.APIInt, mc},
		{"*.apps", l.Ingress, httpPort}, {"*.apps", l.Ingress, httpsPort}}
	if host, port, ok := statsHostPort(l.StatsURL); ok && !l.External { // the site's is optional
		fronts = append(fronts, frontend{"stats", host, port})
	}
	var out []Result
	seen := map[string]bool{}
	for _, f := range fronts {
		addr := net.JoinHostPort(f.ip, strconv.Itoa(f.port))
		if seen[addr] {
			continue
		}
		seen[addr] = true
		r := Result{Area: areaLB, Check: fmt.Sprintf("%d accepts on %s (%s)", f.port, f.ip, f.name), Required: true}
		if err := dial(ctx, addr); err != nil {
			r.Status, r.Detail = Fail, err.Error()
			r.Fix = fmt.Sprintf("open a TCP frontend on %s in %s", addr, l.who())
		} else {
			r.Status, r.Detail = Pass, "accepts"
		}
		out = append(out, r)
	}
	if l.ListenersOnly {
		return out
	}
	out = append(out, l.health(ctx, "/readyz through "+net.JoinHostPort(l.API, strconv.Itoa(api)), "https://"+net.JoinHostPort(l.API, strconv.Itoa(api))+"/readyz"))
	out = append(out, l.health(ctx, "/healthz through "+net.JoinHostPort(l.APIInt, strconv.Itoa(mc)), "https://"+net.JoinHostPort(l.APIInt, strconv.Itoa(mc))+"/healthz"))
	if l.BootstrapIP != "" {
		out = append(out, l.bootstrapOut(ctx))
	}
	return out
}

// statsHostPort is the address of a stats page URL ("http://IP:port/").
func statsHostPort(statsURL string) (string, int, bool) {
	u, err := url.Parse(statsURL)
	if err != nil || u.Port() == "" {
		return "", 0, false
	}
	port, err := strconv.Atoi(u.Port())
	return u.Hostname(), port, err == nil
}

func dial(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: 3 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}

// health asks a health endpoint through the load balancer. /readyz is
// read over TLS verified against the cluster's CA (APICA) for the API's
// name, and the machine config server's /healthz against the CA the
// pointer ignition trusts (MCSCA) for api-int, once ignition made them: a
// load balancer that sends to another cluster's masters fails. Before
// that they are reachability checks only.
func (l *LBInput) health(ctx context.Context, name, url string) Result {
	r := Result{Area: areaLB, Check: name, Required: l.NodesUp}
	peer := l.peerFor(url)
	tlsConf, err := peer.tls()
	if err != nil {
		r.Status, r.Detail, r.Fix, r.Required = Fail, err.Error(), "fix or remove "+peer.source, true
		return r
	}
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConf}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		r.Status, r.Detail = Fail, err.Error()
		return r
	}
	resp, err := c.Do(req)
	if err == nil {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			r.Status, r.Detail = Pass, fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
			if len(peer.ca) > 0 {
				r.Detail += ", TLS verified for " + peer.name + " against " + peer.caName
			}
			return r
		}
		err = fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	r.Detail = err.Error()
	var bad *tls.CertificateVerificationError
	if errors.As(err, &bad) {
		// something answers with a certificate this cluster did not issue
		r.Status, r.Required = Fail, true
		r.Fix = fmt.Sprintf("the %s behind %s is not this cluster's (its certificate does not verify for %s against the CA in %s): point the %s backends of %s at this cluster's masters (and bootstrap)",
			peer.what, strings.TrimPrefix(strings.TrimSuffix(url, peer.path), "https://"), peer.name, peer.source, peer.port, l.who())
		return r
	}
	if !l.NodesUp {
		r.Status, r.Fix = NotYet, "answers once the control plane runs"
		return r
	}
	r.Status, r.Fix = Fail, "the backends must be the masters' (and until bootstrap completes the bootstrap's) ports, in "+l.who()
	return r
}

// peer is what a health endpoint is and what its certificate must verify
// against (no ca: reachability only).
type peer struct {
	what, path, port     string
	ca                   []byte
	name, caName, source string
}

// peerFor is the API (/readyz) or the machine config server (/healthz).
func (l *LBInput) peerFor(url string) peer {
	if strings.HasSuffix(url, "/readyz") {
		return peer{what: "API", path: "/readyz", port: strconv.Itoa(or(l.APIPort, 6443)),
			ca: l.APICA, name: l.APIName, caName: "the cluster CA", source: l.CASource}
	}
	return peer{what: "machine config server", path: "/healthz", port: strconv.Itoa(or(l.MachineConfigPort, 22623)),
		ca: l.MCSCA, name: l.MCSName, caName: "the CA the nodes' ignition trusts", source: l.MCSSource}
}

// tls is the TLS client configuration for the peer: verified against its
// CA for its name when known, else unverified.
func (p peer) tls() (*tls.Config, error) {
	if len(p.ca) == 0 {
		return &tls.Config{InsecureSkipVerify: true}, nil //nolint:gosec // reachability only, see health
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(p.ca) {
		return nil, fmt.Errorf("no PEM certificate in the CA of %s", p.source)
	}
	return &tls.Config{RootCAs: pool, ServerName: p.name, MinVersion: tls.VersionTLS12}, nil
}

// bootstrapOut: after bootstrap the load balancer must not send to the
// bootstrap node any more.
func (l *LBInput) bootstrapOut(ctx context.Context) Result {
	r := Result{Area: areaLB, Check: "bootstrap " + l.BootstrapIP + " out of the backends", Required: l.BootstrapDone}
	in, how, err := l.bootstrapIn(ctx)
	switch {
	case err != nil:
		r.Status, r.Detail = Fail, err.Error()
		r.Required = false
		return r
	case !in:
		r.Status, r.Detail = Pass, how
		return r
	case !l.BootstrapDone:
		r.Status, r.Detail, r.Fix = NotYet, how, "stays in until bootstrap completes"
		return r
	}
	r.Status, r.Detail = Fail, how
	r.Fix = "bootstrap is complete: remove " + l.BootstrapIP + " from the 6443 and 22623 backends of " + l.who() + " and shut the bootstrap machine down"
	return r
}

func (l *LBInput) bootstrapIn(ctx context.Context) (bool, string, error) {
	api, mc, _, _ := l.ports()
	if l.StatsURL == "" {
		for _, p := range []int{api, mc} {
			if dial(ctx, net.JoinHostPort(l.BootstrapIP, strconv.Itoa(p))) == nil {
				return true, fmt.Sprintf("the bootstrap still accepts on %d", p), nil
			}
		}
		return false, "the bootstrap's 6443 and 22623 are closed", nil
	}
	servers, err := haproxyServers(ctx, l.StatsURL)
	if err != nil {
		return false, "", err
	}
	var in []string
	for _, s := range servers {
		host, _, _ := net.SplitHostPort(s.addr)
		if (host == l.BootstrapIP || l.BootstrapName != "" && s.name == l.BootstrapName) && s.status != "MAINT" {
			in = append(in, s.proxy+"/"+s.name)
		}
	}
	if len(in) == 0 {
		return false, "no backend server at " + l.BootstrapIP + " on the stats page", nil
	}
	return true, "still a backend server: " + strings.Join(in, ", "), nil
}

type lbServer struct{ proxy, name, addr, status string }

// haproxyServers reads the servers of an HAProxy stats page (CSV).
func haproxyServers(ctx context.Context, statsURL string) ([]lbServer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(statsURL, "/")+"/;csv", nil)
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("failed to read the load balancer's stats page: %w", err)
	}
	defer resp.Body.Close()
	cr := csv.NewReader(resp.Body)
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil || len(rows) == 0 {
		return nil, fmt.Errorf("failed to read the load balancer's stats page: %v", err)
	}
	head := rows[0]
	head[0] = strings.TrimPrefix(head[0], "# ")
	col := func(n string) int { return slices.Index(head, n) }
	addr, status := col("addr"), col("status")
	if status < 0 {
		return nil, fmt.Errorf("the stats page has no status column")
	}
	var out []lbServer
	for _, row := range rows[1:] {
		if len(row) > max(addr, status) && row[1] != "FRONTEND" && row[1] != "BACKEND" {
			s := lbServer{proxy: row[0], name: row[1], status: row[status]}
			if addr >= 0 {
				s.addr = row[addr]
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// Check runs the load balancer's checks alone (the loadbalancer and
// bootstrap phases use them as their result checks).
func (l *LBInput) Check(ctx context.Context) []Result { return l.check(ctx) }

// BootstrapOut reports whether the load balancer no longer sends to the
// bootstrap node, and what showed it.
func (l *LBInput) BootstrapOut(ctx context.Context) (bool, string, error) {
	in, how, err := l.bootstrapIn(ctx)
	return !in && err == nil, how, err
}

// Failed are the results that failed and are required, as "check: detail → fix".
func Failed(results []Result) []string {
	var out []string
	for _, r := range results {
		if r.Status == Fail && r.Required {
			out = append(out, fmt.Sprintf("%s: %s → %s", r.Check, r.Detail, r.Fix))
		}
	}
	return out
}
