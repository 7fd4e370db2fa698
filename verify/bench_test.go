package verify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/dnsrecords"
	"github.com/okdctl/okdctl/internal/testenv"
)

// bigCluster is a 1,000-node cluster on loopback addresses.
func bigCluster(n int) dnsrecords.Input {
	in := dnsrecords.Input{ClusterName: "big", BaseDomain: "okd.test", BastionIP: "127.0.1.1", Networks: []string{"127.0.0.0/16"}}
	for i := range n {
		role, name := "worker", fmt.Sprintf("w%d", i)
		switch {
		case i == 0:
			role, name = "bootstrap", "bootstrap"
		case i <= 3:
			role, name = "master", fmt.Sprintf("m%d", i-1)
		}
		in.Nodes = append(in.Nodes, dnsrecords.Node{Name: name, Role: role, IP: fmt.Sprintf("127.0.%d.%d", 1+(i+2)/250, 2+(i+2)%250)})
	}
	return in
}

// startCoreDNS is okdctl's own DNS for in: etcd, the records synced into
// it, CoreDNS with okdctl's Corefile.
func startCoreDNS(b testing.TB, in dnsrecords.Input) string {
	etcd := testenv.StartEtcd(b)
	client, err := dnsrecords.NewClient([]string{etcd.Endpoint})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { client.Close() })
	desired, err := dnsrecords.Desired(in)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := dnsrecords.NewSyncer(in, client, []string{etcd.Endpoint}).Sync(context.Background(), desired); err != nil {
		b.Fatal(err)
	}
	port := testenv.FreePort(b, "127.0.0.1")
	corefile, err := dnsrecords.RenderCorefile(in, dnsrecords.Server{Listen: []string{"127.0.0.1"}, Port: port, Endpoints: []string{etcd.Endpoint}})
	if err != nil {
		b.Fatal(err)
	}
	conf := filepath.Join(b.TempDir(), "Corefile")
	if err := os.WriteFile(conf, corefile, 0o644); err != nil {
		b.Fatal(err)
	}
	testenv.StartCoreDNS(b, conf)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	testenv.WaitTCP(b, addr, 20*time.Second)
	return addr
}

// startBINDWith is BIND holding in's records through dynamic updates.
func startBINDWith(b testing.TB, in dnsrecords.Input) string {
	bind := testenv.StartBIND(b, testenv.BINDOptions{Zones: []string{"okd.test.", "0.127.in-addr.arpa."}})
	u, err := dnsrecords.NewUpdater(in, dnsrecords.External{Server: bind.Addr, Zone: "okd.test.",
		ReverseZones: []string{"0.127.in-addr.arpa."}, Key: dnsrecords.TSIGKey{Name: bind.KeyName, Secret: bind.Secret}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := u.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	return bind.Addr
}

// BenchmarkVerifyDNS1000 is the DNS part of `okdctl verify` for the
// 1,000-node spec (every A and PTR, api, api-int, *.apps, the load
// balancer's PTR, absence, SOA/NS: about 2,000 queries) against okdctl's
// own CoreDNS and against BIND serving the same records. Goal: under 2 s each.
func BenchmarkVerifyDNS1000(b *testing.B) {
	in := bigCluster(1000)
	for _, s := range []struct {
		name  string
		start func(testing.TB, dnsrecords.Input) string
	}{{"coredns", startCoreDNS}, {"bind", startBINDWith}} {
		b.Run(s.name, func(b *testing.B) {
			addr := s.start(b, in)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rep := Run(context.Background(), Input{DNS: &DNSInput{Server: addr, Records: in}})
				if rep.Failed() {
					var text strings.Builder
					rep.WriteText(&text)
					b.Fatal(text.String())
				}
			}
		})
	}
}
