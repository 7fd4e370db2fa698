package haproxy

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/golden"
	"github.com/okdctl/okdctl/internal/testenv"
)

func servers(spec ...string) []Server {
	var out []Server
	for _, s := range spec {
		f := strings.Fields(s)
		out = append(out, Server{Name: f[0], IP: f[1]})
	}
	return out
}

var standardPorts = Ports{API: 6443, MachineConfig: 22623, IngressHTTP: 80, IngressHTTPS: 443, Stats: 9000}

// goldenCases mirror examples/{lab,ha,compact,single-master,sandbox}.yaml.
func goldenCases() map[string]Input {
	lab := Input{Cluster: "okd.example", BindIP: "192.168.120.101", Ports: standardPorts, User: "haproxy",
		Bootstrap: servers("bootstrap 192.168.120.102"), Masters: servers("master 192.168.120.103"),
		Workers: servers("worker 192.168.120.104")}
	ha := Input{Cluster: "prod.lab.example.com", BindIP: "192.168.140.10", Ports: standardPorts, User: "haproxy",
		Bootstrap: servers("bootstrap 192.168.140.20"),
		Masters:   servers("m0 192.168.140.21", "m1 192.168.140.22", "m2 192.168.140.23"),
		Workers:   servers("w0 192.168.140.31", "w1 192.168.140.32", "w2 192.168.140.33")}
	compact := ha
	compact.Cluster, compact.Workers = "compact.lab.example.com", nil
	single := Input{Cluster: "tiny.home.arpa", BindIP: "192.168.150.2", Ports: standardPorts, User: "haproxy",
		Bootstrap: servers("bootstrap 192.168.150.10"), Masters: servers("master 192.168.150.11")}
	sandbox := Input{Cluster: "sandbox.okd.test", BindIP: "127.0.1.1",
		Ports:     Ports{API: 16443, MachineConfig: 22623, IngressHTTP: 18080, IngressHTTPS: 18443, Stats: 19000},
		Bootstrap: servers("bootstrap 127.0.1.2"), Masters: servers("m0 127.0.1.3"), Workers: servers("w0 127.0.1.4")}
	v6 := Input{Cluster: "six.example.net", BindIP: "fd00:10::1", Ports: standardPorts, User: "haproxy",
		Bootstrap: servers("bootstrap fd00:10::10"), Masters: servers("m0 fd00:10::11"), Workers: servers("w0 fd00:10::21")}
	return map[string]Input{
		"lab": lab, "lab-bootstrap-removed": lab.WithoutBootstrap(), "ha": ha, "compact": compact,
		"single-master": single, "sandbox": sandbox, "ipv6": v6,
	}
}

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	bin := testenv.Binary(t, "haproxy")
	for name, in := range goldenCases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := Render(in)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", name, "haproxy.cfg.golden")
			golden.Assert(t, path, got)
			if err := Check(context.Background(), bastion.ExecRunner{}, bin, got); err != nil {
				t.Fatalf("haproxy -c refuses %s: %v", path, err)
			}
		})
	}
}

func TestIngressFollowsWorkers(t *testing.T) {
	t.Parallel()
	cases := goldenCases()
	for name, wantIn := range map[string]string{"compact": "m0", "single-master": "master", "ha": "w0", "lab": "worker"} {
		cfg, err := Render(cases[name])
		if err != nil {
			t.Fatal(err)
		}
		https := section(string(cfg), "listen ingress-https")
		if !strings.Contains(https, "server "+wantIn+" ") || !strings.Contains(https, "balance source") {
			t.Errorf("%s: ingress-https should balance by source to %s:\n%s", name, wantIn, https)
		}
	}
}

func TestRenderRules(t *testing.T) {
	t.Parallel()
	cfg, err := Render(goldenCases()["lab"])
	if err != nil {
		t.Fatal(err)
	}
	api := section(string(cfg), "listen api")
	for _, want := range []string{"mode tcp", "balance roundrobin", "option httpchk GET /readyz HTTP/1.0",
		"server master 192.168.120.103:6443 check check-ssl verify none",
		"server bootstrap 192.168.120.102:6443 check check-ssl verify none backup"} {
		if !strings.Contains(api, want) {
			t.Errorf("api section lacks %q:\n%s", want, api)
		}
	}
	for _, bad := range []string{"stick", "cookie", "balance source"} {
		if strings.Contains(api, bad) {
			t.Errorf("api section has session persistence (%q):\n%s", bad, api)
		}
	}
	if DefaultHealth.Removal() > MaxRemoval {
		t.Errorf("default health lets a failed master stay %s", DefaultHealth.Removal())
	}
	if !strings.Contains(string(cfg), "default-server inter 5s rise 2 fall 3") {
		t.Errorf("production health timing missing:\n%s", cfg)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	base := goldenCases()["lab"]
	cases := map[string]struct {
		mutate func(*Input)
		want   string
	}{
		"no masters":    {func(in *Input) { in.Masters = nil }, "no masters"},
		"bad bind":      {func(in *Input) { in.BindIP = "bastion" }, `bind address "bastion"`},
		"port clash":    {func(in *Input) { in.Ports.Stats = 6443 }, "port stats 6443 is also port api"},
		"bad name":      {func(in *Input) { in.Workers[0].Name = "a b" }, `server name "a b"`},
		"dup name":      {func(in *Input) { in.Workers[0].Name = "master" }, `"master" is used twice`},
		"bad ip":        {func(in *Input) { in.Masters[0].IP = "10.0.0" }, `"10.0.0" is not an IP`},
		"slow removal":  {func(in *Input) { in.Health = Health{Interval: 10e9, Timeout: 5e9, Rise: 2, Fall: 3} }, "stay 1m0s"},
		"zero interval": {func(in *Input) { in.Health = Health{Timeout: 1e9, Rise: 1, Fall: 1} }, "positive interval"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := base
			in.Masters = append([]Server(nil), base.Masters...)
			in.Workers = append([]Server(nil), base.Workers...)
			c.mutate(&in)
			_, err := Render(in)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Render error = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

// section returns the lines of cfg from header to the next blank line.
func section(cfg, header string) string {
	i := strings.Index(cfg, header+"\n")
	if i < 0 {
		return ""
	}
	rest := cfg[i:]
	if j := strings.Index(rest, "\n\n"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}
