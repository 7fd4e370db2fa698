package pxe

import (
	"regexp"
	"strings"
	"testing"
)

func labInput() Input {
	return Input{Mode: ModeDHCP, Cluster: "okd.example", ListenIP: "192.168.120.101", Network: "192.168.120.0/24",
		Gateway: "192.168.120.1", DNS: "192.168.120.101", Domain: "okd.example", TFTPRoot: "/var/lib/okdctl-dnsmasq/tftp",
		ScriptURL: "http://192.168.120.101:8080/install/pxe/boot.ipxe", LeaseFile: "/var/lib/okdctl-dnsmasq/dnsmasq.leases",
		Hosts: []Host{{MAC: "52:54:00:AA:BB:04", IP: "192.168.120.104", FQDN: "worker.okd.example"},
			{MAC: "52:54:00:aa:bb:02", IP: "192.168.120.102", FQDN: "bootstrap.okd.example"}}}
}

func TestRenderAnswersOnlyTheSpecsMACs(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{ModeDHCP, ModeProxy} {
		in := labInput()
		in.Mode = mode
		cfg, err := Render(in)
		if err != nil {
			t.Fatal(err)
		}
		s := string(cfg)
		for _, want := range []string{"port=0\n", "dhcp-ignore=tag:!known\n", "enable-tftp\n",
			"dhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe,,192.168.120.101\n", "dhcp-boot=tag:ipxe," + in.ScriptURL + "\n"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s: no %q in:\n%s", mode, want, s)
			}
		}
		// sorted and lower case, so that the file (and the service) only changes with the spec
		if i, j := strings.Index(s, "52:54:00:aa:bb:02"), strings.Index(s, "52:54:00:aa:bb:04"); i < 0 || j < i {
			t.Errorf("%s: hosts not sorted by MAC:\n%s", mode, s)
		}
		if mode == ModeProxy && !strings.Contains(s, "pxe-service=tag:ipxe,x86PC,\"okdctl\","+in.ScriptURL+"\n") {
			t.Errorf("proxy DHCP does not point iPXE at the script:\n%s", s)
		}
		if mode == ModeProxy && (strings.Contains(s, "192.168.120.104") || !strings.Contains(s, "dhcp-range=192.168.120.0,proxy\n")) {
			t.Errorf("proxy DHCP hands out addresses:\n%s", s)
		}
		if mode == ModeDHCP && !strings.Contains(s, "dhcp-host=52:54:00:aa:bb:04,192.168.120.104,worker,infinite\n") {
			t.Errorf("no static lease for the worker:\n%s", s)
		}
	}
}

func TestRenderRefusesIncompleteInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(*Input)
		want   string
	}{
		{"mode", func(in *Input) { in.Mode = "bootp" }, `mode "bootp" is neither dhcp nor proxy`},
		{"network", func(in *Input) { in.Network = "192.168.120.0" }, `network "192\.168\.120\.0"`},
		{"no hosts", func(in *Input) { in.Hosts = nil }, `no node with a MAC`},
		{"host without address", func(in *Input) { in.Hosts[0].IP = "" }, `node "worker\.okd\.example" lacks its MAC, address or name`},
		{"no script", func(in *Input) { in.ScriptURL = "" }, `no iPXE script URL`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := labInput()
			tc.mutate(&in)
			_, err := Render(in)
			if err == nil || !regexp.MustCompile(tc.want).MatchString(err.Error()) {
				t.Errorf("got %v, want an error matching %s", err, tc.want)
			}
		})
	}
}
