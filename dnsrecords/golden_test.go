package dnsrecords

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/internal/golden"
)

// goldenCase is one input whose record set, keys and Corefile are pinned.
type goldenCase struct {
	name string
	in   Input
	srv  Server
}

func nodes(spec ...string) []Node {
	var out []Node
	for _, s := range spec {
		f := strings.Fields(s)
		out = append(out, Node{Name: f[0], Role: f[1], IP: f[2]})
	}
	return out
}

// goldenCases mirror examples/{lab,ha,single-master,sandbox}.yaml, plus an
// old release that needs etcd records and an IPv6 network.
func goldenCases() []goldenCase {
	lab := Input{ClusterName: "okd", BaseDomain: "example", BastionIP: "192.168.120.101", RegistryEnabled: true,
		Networks: []string{"192.168.120.0/24"},
		Nodes:    nodes("bootstrap bootstrap 192.168.120.102", "master master 192.168.120.103", "worker worker 192.168.120.104")}
	ha := Input{ClusterName: "prod", BaseDomain: "lab.example.com", BastionIP: "192.168.140.10",
		Networks: []string{"192.168.140.0/24"},
		Nodes: nodes("bootstrap bootstrap 192.168.140.20", "m0 master 192.168.140.21", "m1 master 192.168.140.22",
			"m2 master 192.168.140.23", "w0 worker 192.168.140.31", "w1 worker 192.168.140.32", "w2 worker 192.168.140.33")}
	single := Input{ClusterName: "tiny", BaseDomain: "home.arpa", BastionIP: "192.168.150.2",
		Networks: []string{"192.168.150.0/24"},
		Nodes:    nodes("bootstrap bootstrap 192.168.150.10", "master master 192.168.150.11", "worker worker 192.168.150.12")}
	sandbox := Input{ClusterName: "sandbox", BaseDomain: "okd.test", BastionIP: "127.0.1.1", RegistryEnabled: true,
		Networks: []string{"127.0.1.0/24"},
		Nodes:    nodes("bootstrap bootstrap 127.0.1.2", "m0 master 127.0.1.3", "w0 worker 127.0.1.4")}
	legacy := Input{ClusterName: "old", BaseDomain: "example.org", BastionIP: "10.0.0.5", APIIP: "10.0.0.6", APIIntIP: "10.0.0.8",
		IngressIP: "10.0.0.7", EtcdRecords: true, Networks: []string{"10.0.0.0/22"},
		Nodes: nodes("bootstrap bootstrap 10.0.0.10", "m0 master 10.0.1.11", "m1 master 10.0.1.12",
			"m2 master 10.0.1.13", "w0 worker 10.0.2.21")}
	v6 := Input{ClusterName: "six", BaseDomain: "example.net", BastionIP: "fd00:10::1", Networks: []string{"fd00:10::/64"},
		Nodes: nodes("bootstrap bootstrap fd00:10::10", "m0 master fd00:10::11", "w0 worker fd00:10::21")}
	local := Server{Endpoints: []string{"http://127.0.0.1:2379"}}
	return []goldenCase{
		{"lab", lab, withListen(local, "192.168.120.101", 53, "114.114.114.114")},
		{"ha", ha, withListen(local, "192.168.140.10", 53, "192.168.140.2")},
		{"single-master", single, withListen(local, "192.168.150.2", 53)},
		{"sandbox", sandbox, Server{Listen: []string{"127.0.1.1"}, Port: 15353, Endpoints: []string{"http://127.0.1.1:12379"}}},
		{"legacy-etcd", legacy, withListen(local, "10.0.0.5", 53, "10.0.0.1:5353")},
		{"ipv6", v6, withListen(local, "fd00:10::1", 53)},
	}
}

func withListen(s Server, ip string, port int, upstreams ...string) Server {
	s.Listen, s.Port, s.Upstreams = []string{ip}, port, upstreams
	return s
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			records, err := Records(c.in)
			if err != nil {
				t.Fatal(err)
			}
			entries, err := Entries(c.in, records)
			if err != nil {
				t.Fatal(err)
			}
			corefile, err := RenderCorefile(c.in, c.srv)
			if err != nil {
				t.Fatal(err)
			}
			var recs, keys strings.Builder
			for _, r := range records {
				fmt.Fprintln(&recs, r)
			}
			for _, e := range entries {
				fmt.Fprintf(&keys, "%s %s\n", e.Key, e.Value)
			}
			golden.Assert(t, filepath.Join("testdata", c.name, "records.golden"), []byte(recs.String()))
			golden.Assert(t, filepath.Join("testdata", c.name, "keys.golden"), []byte(keys.String()))
			golden.Assert(t, filepath.Join("testdata", c.name, "Corefile.golden"), corefile)
		})
	}
}
