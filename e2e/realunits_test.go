package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/okdctl/okdctl/installer"
	"github.com/okdctl/okdctl/spec"
)

// okdctlUnits are the systemd units okdctl writes for the lab spec.
var okdctlUnits = []string{"okdctl-etcd", "okdctl-coredns", "okdctl-haproxy", "okdctl-nginx", "okdctl-registry"}

// unitState is what systemd says about a unit.
type unitState struct {
	Active, Enabled string
	MainPID         int
	NRestarts       int
	CanReload       bool
}

func (r *rehearsal) unit(t *testing.T, name string) unitState {
	t.Helper()
	out := r.host.MustRun("systemctl", "show", name+".service", "-p", "ActiveState,UnitFileState,MainPID,NRestarts,CanReload")
	kv := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			kv[k] = v
		}
	}
	pid, _ := strconv.Atoi(kv["MainPID"])
	restarts, _ := strconv.Atoi(kv["NRestarts"])
	return unitState{Active: kv["ActiveState"], Enabled: kv["UnitFileState"], MainPID: pid, NRestarts: restarts, CanReload: kv["CanReload"] == "yes"}
}

// units maps each okdctl unit to its state.
func (r *rehearsal) units(t *testing.T) map[string]unitState {
	t.Helper()
	m := map[string]unitState{}
	for _, u := range okdctlUnits {
		m[u] = r.unit(t, u)
	}
	return m
}

// checkUnits: every okdctl unit is active, enabled, and its own process
// has written to the journal.
func (r *rehearsal) checkUnits(t *testing.T) {
	t.Helper()
	for name, st := range r.units(t) {
		if st.Active != "active" || st.Enabled != "enabled" || st.MainPID == 0 {
			t.Errorf("%s: %+v, want active and enabled with a main process", name, st)
		}
		lines := r.host.MustRun("journalctl", "--no-pager", "-o", "cat", "_SYSTEMD_UNIT="+name+".service")
		if strings.TrimSpace(lines) == "" {
			t.Errorf("%s wrote nothing to the journal", name)
		}
	}
}

// probe checks that a bastion service answers as a client sees it.
func (r *rehearsal) probe(ctx context.Context, unit string) error {
	ip := r.cluster.Spec.Bastion.IP
	p := r.cluster.Spec.Bastion.Ports
	switch unit {
	case "okdctl-etcd":
		return httpStatus(ctx, http.DefaultClient, fmt.Sprintf("http://127.0.0.1:%d/health", p.Etcd), http.StatusOK)
	case "okdctl-coredns":
		m := new(dns.Msg)
		m.SetQuestion("api."+r.domain()+".", dns.TypeA)
		in, err := dns.ExchangeContext(ctx, m, net.JoinHostPort(ip, strconv.Itoa(p.DNS)))
		if err != nil {
			return err
		}
		if len(in.Answer) != 1 || in.Answer[0].(*dns.A).A.String() != ip {
			return fmt.Errorf("api.%s answers %v, want %s", r.domain(), in.Answer, ip)
		}
		return nil
	case "okdctl-haproxy":
		return httpStatus(ctx, http.DefaultClient, fmt.Sprintf("http://%s:%d/", ip, p.Stats), 0)
	case "okdctl-nginx":
		master := r.cluster.Spec.NodesWithRole(spec.RoleMaster)[0]
		return httpStatus(ctx, http.DefaultClient, installer.IgnitionURL(r.cluster, master), http.StatusOK)
	case "okdctl-registry":
		c, err := r.registryClient()
		if err != nil {
			return err
		}
		return httpStatus(ctx, c, fmt.Sprintf("https://%s:%d/v2/", ip, p.Registry), http.StatusUnauthorized)
	}
	return fmt.Errorf("no probe for %s", unit)
}

// registryClient trusts okdctl's CA only.
func (r *rehearsal) registryClient() (*http.Client, error) {
	ca, err := os.ReadFile(filepath.Join(r.stateDir(), installer.FileCACert))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}, nil
}

// httpStatus GETs url and wants status (any status when 0).
func httpStatus(ctx context.Context, c *http.Client, url string, status int) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if status != 0 && resp.StatusCode != status {
		return fmt.Errorf("%s answered %s, want %d", url, resp.Status, status)
	}
	return nil
}

// waitAnswers waits until the unit's service answers.
func (r *rehearsal) waitAnswers(t *testing.T, unit string, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := waitFor(ctx, unit+" answering", func() (bool, error) {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		defer pcancel()
		err := r.probe(pctx, unit)
		return err == nil, err
	})
	if err != nil {
		t.Error(err)
	}
}

// checkKill9: each unit comes back by itself after kill -9 of its main process.
func (r *rehearsal) checkKill9(t *testing.T) {
	t.Helper()
	for _, name := range okdctlUnits {
		before := r.unit(t, name)
		start := time.Now()
		r.host.MustRun("sh", "-c", "kill -9 "+strconv.Itoa(before.MainPID)) // the shell's kill: no procps on the bare bastion
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := waitFor(ctx, name+" restarted", func() (bool, error) {
			st := r.unit(t, name)
			return st.Active == "active" && st.MainPID != 0 && st.MainPID != before.MainPID, nil
		})
		cancel()
		if err != nil {
			t.Errorf("after kill -9: %v", err)
			continue
		}
		r.waitAnswers(t, name, 30*time.Second)
		t.Logf("%s: back and answering %s after kill -9", name, time.Since(start).Round(10*time.Millisecond))
	}
}

// checkReload: each unit that can reload does so in place (same main
// process, still answering), and HAProxy keeps an open connection.
func (r *rehearsal) checkReload(t *testing.T) {
	t.Helper()
	held := r.holdAPIConnection(t)
	var reloaded []string
	for _, name := range okdctlUnits {
		before := r.unit(t, name)
		if !before.CanReload {
			continue
		}
		r.host.MustRun("systemctl", "reload", name+".service")
		after := r.unit(t, name)
		if after.MainPID != before.MainPID || after.Active != "active" {
			t.Errorf("%s reload: main process %d -> %d, %s", name, before.MainPID, after.MainPID, after.Active)
		}
		r.waitAnswers(t, name, 20*time.Second)
		reloaded = append(reloaded, name)
	}
	if len(reloaded) < 3 {
		t.Errorf("only %v can reload; okdctl-haproxy, okdctl-nginx and okdctl-coredns should", reloaded)
	}
	t.Logf("reloaded in place: %s", strings.Join(reloaded, ", "))
	held()
}

// holdAPIConnection opens one keep-alive connection to the API through
// HAProxy; the returned func checks that the same connection still works.
func (r *rehearsal) holdAPIConnection(t *testing.T) func() {
	t.Helper()
	cfg := r.kube.AdminConfig()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(cfg.TLSClientConfig.CAData)
	addr := net.JoinHostPort(r.cluster.Spec.Bastion.IP, strconv.Itoa(r.cluster.Spec.Bastion.Ports.API))
	tr := &http.Transport{MaxConnsPerHost: 1, IdleConnTimeout: time.Minute,
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "api." + r.domain()}}
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var local string
	get := func() (reused bool) {
		t.Helper()
		trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
			reused = i.Reused && i.Conn.LocalAddr().String() == local
			local = i.Conn.LocalAddr().String()
		}}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, "https://"+addr+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+cfg.BearerToken)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("the API through HAProxy: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("the API through HAProxy answered %s", resp.Status)
		}
		return reused
	}
	get()
	return func() {
		t.Helper()
		if !get() {
			t.Errorf("the connection to the API through HAProxy (from %s) did not survive the reload", local)
		}
	}
}

// checkAfterReboot: every okdctl unit is active again and its service answers.
func (r *rehearsal) checkAfterReboot(t *testing.T) {
	t.Helper()
	for _, name := range okdctlUnits {
		r.waitAnswers(t, name, 60*time.Second)
		if st := r.unit(t, name); st.Active != "active" {
			t.Errorf("%s after the reboot: %+v", name, st)
		}
	}
}
