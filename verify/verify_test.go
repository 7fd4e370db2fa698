package verify

import (
	"bytes"
	"context"
	"crypto/sha512"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/dnsrecords"
	"github.com/okdctl/okdctl/internal/testenv"
)

func records() dnsrecords.Input {
	in := dnsrecords.Input{ClusterName: "vt", BaseDomain: "okd.test", BastionIP: "127.0.1.1", Networks: []string{"127.0.1.0/24"}}
	for i, n := range []string{"bootstrap bootstrap", "m0 master", "w0 worker", "w1 worker"} {
		name, role, _ := strings.Cut(n, " ")
		in.Nodes = append(in.Nodes, dnsrecords.Node{Name: name, Role: role, IP: fmt.Sprintf("127.0.1.%d", 2+i)})
	}
	return in
}

// startZone serves the spec's records from BIND zone files, each line
// passed through edit (which may drop or change it).
func startZone(t *testing.T, in dnsrecords.Input, edit func(string) string) string {
	t.Helper()
	var lines = map[string][]string{}
	for zone, render := range map[string]func(dnsrecords.Input) ([]byte, error){
		"okd.test.": dnsrecords.RenderBINDForward, "1.0.127.in-addr.arpa.": dnsrecords.RenderBINDReverse} {
		data, err := render(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(data), "\n") {
			if l = edit(l); l != "" {
				lines[zone] = append(lines[zone], l)
			}
		}
	}
	b := testenv.StartBIND(t, testenv.BINDOptions{Zones: []string{"okd.test.", "1.0.127.in-addr.arpa."}, Records: lines})
	return b.Addr
}

// onlyFailing asserts that exactly the checks whose names contain want failed.
func onlyFailing(t *testing.T, rep *Report, want ...string) {
	t.Helper()
	var text bytes.Buffer
	rep.WriteText(&text)
	for _, r := range rep.Results {
		expected := false
		for _, w := range want {
			expected = expected || strings.Contains(r.Check, w)
		}
		if (r.Status == Fail) != expected {
			t.Errorf("%s %q: %s, want FAIL=%v\n%s", r.Area, r.Check, r.Status, expected, text.String())
		}
		if r.Status == Fail && r.Fix == "" {
			t.Errorf("%q fails without a fix", r.Check)
		}
	}
	if rep.Failed() != (len(want) > 0) {
		t.Errorf("Failed() = %v\n%s", rep.Failed(), text.String())
	}
}

func TestDNS(t *testing.T) {
	t.Parallel()
	in := records()
	cases := []struct {
		name    string
		edit    func(string) string
		removed []string
		fail    []string
	}{
		{"correct", func(l string) string { return l }, []string{"w9"}, nil},
		// w1 left the spec but its records stay
		{"removed node still answers", func(l string) string { return l }, []string{"w1"}, []string{"removed nodes"}},
		{"missing PTR", func(l string) string {
			if strings.HasPrefix(l, "4.1.0.127") {
				return ""
			}
			return l
		}, nil, []string{"PTR of every node"}},
		{"wrong A", func(l string) string {
			return strings.Replace(l, "api-int.vt.okd.test.\t60\tIN\tA\t127.0.1.1", "api-int.vt.okd.test. 60 IN A 127.0.1.99", 1)
		},
			nil, []string{"A api-int."}},
		{"wildcard above apps", func(l string) string {
			if strings.HasPrefix(l, "*.apps") {
				return strings.Replace(l, "*.apps.", "*.", 1)
			}
			return l
		}, nil, []string{"no wildcard shadows"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			addr := startZone(t, in, c.edit)
			spec := in
			spec.Nodes = slices.DeleteFunc(slices.Clone(in.Nodes), func(n dnsrecords.Node) bool { return slices.Contains(c.removed, n.Name) })
			rep := Run(context.Background(), Input{DNS: &DNSInput{Server: addr, Records: spec, Removed: c.removed}})
			onlyFailing(t, rep, c.fail...)
		})
	}
}

func startHAProxy(t *testing.T, ip string, withHTTPS bool, backend string) (LBInput, string) {
	t.Helper()
	dir := t.TempDir()
	p := func() int { return testenv.FreePort(t, ip) }
	l := LBInput{API: ip, APIInt: ip, Ingress: ip, APIPort: p(), MachineConfigPort: p(), HTTPPort: p(), HTTPSPort: p(), BootstrapIP: "127.0.1.2"}
	stats := p()
	cfg := fmt.Sprintf(`defaults
  mode tcp
  timeout connect 300ms
  timeout client 10s
  timeout server 10s
frontend api
  bind %[1]s:%[2]d
  default_backend api
backend api
%[7]s  server m0 127.0.1.3:%[2]d
frontend mc
  bind %[1]s:%[3]d
  default_backend api
frontend http
  bind %[1]s:%[4]d
  default_backend api
listen stats
  bind %[1]s:%[6]d
  mode http
  stats enable
  stats uri /
`, ip, l.APIPort, l.MachineConfigPort, l.HTTPPort, l.HTTPSPort, stats, backend)
	if withHTTPS {
		cfg += fmt.Sprintf("frontend https\n  bind %s:%d\n  default_backend api\n", ip, l.HTTPSPort)
	}
	conf := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	testenv.Start(t, testenv.Binary(t, "haproxy"), "-db", "-f", conf)
	testenv.WaitTCP(t, fmt.Sprintf("%s:%d", ip, stats), 10*time.Second)
	return l, fmt.Sprintf("http://%s:%d/", ip, stats)
}

func TestLoadBalancer(t *testing.T) {
	t.Parallel()
	boot := fmt.Sprintf("  server bootstrap 127.0.1.2:%d\n", 6443)
	cases := []struct {
		name          string
		https         bool
		backend       string
		bootstrapDone bool
		fail          []string
		notYet        int
	}{
		{"during bootstrap", true, boot, false, nil, 3}, // /readyz, /healthz, bootstrap out
		{"closed port", false, "", false, []string{"accepts on 127.0.1.1 (*.apps)"}, 2},
		{"bootstrap left in", true, boot, true, []string{"bootstrap 127.0.1.2 out"}, 2},
		{"bootstrap out", true, "", true, nil, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			l, stats := startHAProxy(t, "127.0.1.1", c.https, c.backend)
			l.StatsURL, l.BootstrapDone, l.External, l.BootstrapName = stats, c.bootstrapDone, true, "bootstrap"
			rep := Run(context.Background(), Input{LB: &l})
			if c.name == "closed port" {
				for _, r := range rep.Results {
					if strings.HasPrefix(r.Check, fmt.Sprint(l.HTTPSPort)) {
						c.fail = []string{r.Check}
					}
				}
			}
			onlyFailing(t, rep, c.fail...)
			if got := rep.Counts()[NotYet]; got != c.notYet {
				t.Errorf("%d checks not yet, want %d", got, c.notYet)
			}
		})
	}
}

func startNginx(t *testing.T, autoindex string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	www := filepath.Join(dir, "www")
	if err := os.MkdirAll(filepath.Join(www, "ignition"), 0o755); err != nil {
		t.Fatal(err)
	}
	port := testenv.FreePort(t, "127.0.0.1")
	cfg := fmt.Sprintf(`daemon off; user root; pid %[1]s/nginx.pid; error_log stderr;
events {}
http {
  access_log off;
  client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy; fastcgi_temp_path %[1]s/fcgi;
  uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
  server { listen 127.0.0.1:%[2]d; root %[3]s; autoindex %[4]s; }
}
`, dir, port, www, autoindex)
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	testenv.Start(t, testenv.Binary(t, "nginx"), "-c", conf, "-e", "stderr")
	testenv.WaitTCP(t, fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)
	return fmt.Sprintf("http://127.0.0.1:%d", port), www
}

func sha(b []byte) string {
	s := sha512.Sum512(b)
	return "sha512-" + hex.EncodeToString(s[:])
}

func TestWebServer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, autoindex string
		stale           bool
		fail            []string
	}{
		{"correct", "off", false, nil},
		{"stale ignition hash", "off", true, []string{"ignition of every node"}},
		{"listing", "on", false, []string{"no directory listing"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			base, www := startNginx(t, c.autoindex)
			w := WebInput{BaseURL: base}
			for _, n := range []string{"m0", "w0"} {
				data := []byte(`{"ignition":{"version":"3.2.0"},"node":"` + n + `"}`)
				if err := os.WriteFile(filepath.Join(www, "ignition", n+".ign"), data, 0o644); err != nil {
					t.Fatal(err)
				}
				h := sha(data)
				if c.stale && n == "w0" {
					h = sha([]byte("the ignition of yesterday"))
				}
				w.Ignition = append(w.Ignition, IgnitionFile{Node: n, URL: base + "/ignition/" + n + ".ign", SHA512: h})
			}
			w.Ignition = append(w.Ignition, IgnitionFile{Node: "bootstrap", URL: base + "/ignition/bootstrap.ign", Gone: true})
			onlyFailing(t, Run(context.Background(), Input{Web: &w}), c.fail...)
		})
	}
}

func TestReportSavedAndText(t *testing.T) {
	t.Parallel()
	rep := &Report{Started: time.Now(), Took: time.Second, Results: []Result{
		{Area: "dns", Check: "A api", Status: Pass, Detail: "127.0.0.1", Required: true},
		{Area: "dns", Check: "PTR", Status: Fail, Detail: "missing", Fix: "add it", Required: true},
		{Area: "loadbalancer", Check: "/readyz", Status: NotYet, Detail: "refused", Fix: "later"}}}
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pass     dns", "PTR      missing  → add it", "not yet  loadbalancer", "verify: FAILED: 1 pass, 1 FAIL, 1 not yet (1s)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
	dir := t.TempDir()
	if err := rep.Save(dir); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, FileName)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("saved report: %v %v", fi, err)
	}
	back, err := Load(dir)
	if err != nil || back.Summary() != rep.Summary() || !back.Failed() {
		t.Fatalf("loaded report: %+v %v", back, err)
	}
	if none, err := Load(t.TempDir()); none != nil || err != nil {
		t.Fatalf("no report: %v %v", none, err)
	}
}

// TestSameSpecBINDAndCoreDNS: verify passes for one spec against okdctl's
// own CoreDNS and against BIND kept by dynamic updates.
func TestSameSpecBINDAndCoreDNS(t *testing.T) {
	t.Parallel()
	in := bigCluster(20)
	for _, addr := range []string{startCoreDNS(t, in), startBINDWith(t, in)} {
		rep := Run(context.Background(), Input{DNS: &DNSInput{Server: addr, Records: in, Removed: []string{"w99"}}})
		onlyFailing(t, rep)
		if len(rep.Results) != 10 {
			t.Errorf("%s: %d DNS lines, want 10", addr, len(rep.Results))
		}
	}
}

// TestReadyzVerifiedAgainstClusterCA reads /readyz of a real kube-apiserver
// over TLS verified against the cluster CA for api.<cluster domain>: it
// passes with the cluster's CA and fails, required even before the nodes
// are up, for another CA or another name (another cluster's API behind the
// load balancer).
func TestReadyzVerifiedAgainstClusterCA(t *testing.T) {
	t.Parallel()
	kube := testenv.StartKube(t, testenv.KubeOptions{NoCRDs: true, SANs: []string{"api.vt.okd.test"}})
	host, port, _ := strings.Cut(strings.TrimPrefix(kube.URL, "https://"), ":")
	apiPort, _ := strconv.Atoi(port)
	other := testenv.NewCA(t, "another cluster")
	for _, c := range []struct {
		name     string
		ca       []byte
		apiName  string
		wantPass bool
	}{
		{"the cluster's CA", kube.CA.CertPEM, "api.vt.okd.test", true},
		{"another CA", other.CertPEM, "api.vt.okd.test", false},
		{"another name", kube.CA.CertPEM, "api.other.okd.test", false},
	} {
		l := &LBInput{API: host, APIInt: host, APIPort: apiPort, APICA: c.ca, APIName: c.apiName, CASource: "auth/kubeconfig"}
		r := l.health(context.Background(), "/readyz", kube.URL+"/readyz")
		switch {
		case c.wantPass && (r.Status != Pass || !strings.Contains(r.Detail, "TLS verified for api.vt.okd.test")):
			t.Errorf("%s: %s %s", c.name, r.Status, r.Detail)
		case !c.wantPass && (r.Status != Fail || !r.Required || !strings.Contains(r.Fix, "is not this cluster's")):
			t.Errorf("%s: %s (required %t) %s → %s", c.name, r.Status, r.Required, r.Detail, r.Fix)
		}
	}
}

// TestMachineConfigServerVerifiedAgainstIgnitionCA reads /healthz of a
// TLS server standing in for the machine config server, its certificate
// issued by the cluster's root CA for api-int: verified against the CA the
// pointer ignition trusts it passes; another CA or another name fails,
// required even before the nodes are up (another cluster's masters behind
// the load balancer's 22623).
func TestMachineConfigServerVerifiedAgainstIgnitionCA(t *testing.T) {
	t.Parallel()
	root := testenv.NewCA(t, "root-ca")
	certPEM, keyPEM := root.ServingCert(t, "system:machine-config-server", []string{"api-int.vt.okd.test"}, nil)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	host, port, _ := strings.Cut(strings.TrimPrefix(srv.URL, "https://"), ":")
	mcPort, _ := strconv.Atoi(port)
	other := testenv.NewCA(t, "another cluster")
	for _, c := range []struct {
		name     string
		ca       []byte
		mcsName  string
		wantPass bool
	}{
		{"the ignition's CA", root.CertPEM, "api-int.vt.okd.test", true},
		{"another CA", other.CertPEM, "api-int.vt.okd.test", false},
		{"another name", root.CertPEM, "api-int.other.okd.test", false},
	} {
		l := &LBInput{API: host, APIInt: host, MachineConfigPort: mcPort, MCSCA: c.ca, MCSName: c.mcsName, MCSSource: "master.ign"}
		r := l.health(context.Background(), "/healthz", srv.URL+"/healthz")
		switch {
		case c.wantPass && (r.Status != Pass || !strings.Contains(r.Detail, "TLS verified for api-int.vt.okd.test against the CA the nodes' ignition trusts")):
			t.Errorf("%s: %s %s", c.name, r.Status, r.Detail)
		case !c.wantPass && (r.Status != Fail || !r.Required || !strings.Contains(r.Fix, "the machine config server behind "+host+":"+port+" is not this cluster's") ||
			!strings.Contains(r.Fix, "the "+port+" backends")):
			t.Errorf("%s: %s (required %t) %s → %s", c.name, r.Status, r.Required, r.Detail, r.Fix)
		}
	}
	// before ignition: reachability only
	l := &LBInput{API: host, APIInt: host, MachineConfigPort: mcPort}
	if r := l.health(context.Background(), "/healthz", srv.URL+"/healthz"); r.Status != Pass || strings.Contains(r.Detail, "verified") {
		t.Errorf("without a CA: %s %s", r.Status, r.Detail)
	}
}
