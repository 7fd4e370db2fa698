package ignition

import (
	"encoding/base64"
	"os"
	"strings"
	"testing"

	"github.com/vincent-petithory/dataurl"
)

func labNode(name, role string) Node {
	return Node{Name: name, Role: role, FQDN: name + ".okd.example", NIC: "ens786f1", IP: "192.168.120.104",
		PrefixLen: 24, Gateway: "192.168.120.101", DNS: []string{"192.168.120.101"}, SearchDomains: []string{"okd.example"}}
}

func TestNodeConfigGolden(t *testing.T) {
	t.Parallel()
	role, err := os.ReadFile("testdata/roles/worker.ign")
	if err != nil {
		t.Fatal(err)
	}
	out, err := NodeConfig(labNode("worker", "worker"), role)
	if err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "node/worker.ign", out)

	cfg, _, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	src := *cfg.Ignition.Config.Merge[0].Source
	embedded, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(src, "data:;base64,"))
	if string(embedded) != string(role) {
		t.Errorf("the role config is not embedded byte for byte")
	}
	files := map[string]string{}
	for _, f := range cfg.Storage.Files {
		du, err := dataurl.DecodeString(*f.Contents.Source)
		if err != nil {
			t.Fatal(err)
		}
		files[f.Path] = string(du.Data)
	}
	if files["/etc/hostname"] != "worker.okd.example\n" {
		t.Errorf("/etc/hostname = %q", files["/etc/hostname"])
	}
	assertGolden(t, "node/ens786f1.nmconnection", []byte(files["/etc/NetworkManager/system-connections/ens786f1.nmconnection"]))
}

func TestNodeConfigWithoutNIC(t *testing.T) {
	t.Parallel()
	role, _ := os.ReadFile("testdata/roles/worker.ign")
	n := labNode("worker", "worker")
	n.NIC = ""
	out, err := NodeConfig(n, role)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "okdctl-static.nmconnection") {
		t.Errorf("a node without NIC got no keyfile")
	}
	if strings.Contains(NetworkKeyfile(n), "interface-name") {
		t.Errorf("a keyfile without NIC names an interface:\n%s", NetworkKeyfile(n))
	}
}

func TestNodeConfigRejectsBadRole(t *testing.T) {
	t.Parallel()
	for name, role := range map[string]string{
		"empty":      "",
		"not json":   "{ignition",
		"v2 spec":    `{"ignition":{"version":"2.2.0"}}`,
		"bad source": `{"ignition":{"version":"3.2.0","config":{"merge":[{"source":"::nope"}]}}}`,
	} {
		if _, err := NodeConfig(labNode("worker", "worker"), []byte(role)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	n := labNode("worker", "worker")
	n.IP = "300.1.1.1"
	role, _ := os.ReadFile("testdata/roles/worker.ign")
	if _, err := NodeConfig(n, role); err == nil || !strings.Contains(err.Error(), "node worker") {
		t.Errorf("bad ip: %v", err)
	}
}

func TestValidateNodeCatchesTampering(t *testing.T) {
	t.Parallel()
	role, _ := os.ReadFile("testdata/roles/worker.ign")
	out, err := NodeConfig(labNode("worker", "worker"), role)
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Replace(string(role), "config/worker", "config/master", 1)
	tampered := strings.Replace(string(out), base64.StdEncoding.EncodeToString(role), base64.StdEncoding.EncodeToString([]byte(other)), 1)
	if err := ValidateNode([]byte(tampered)); err == nil || !strings.Contains(err.Error(), "verification hash") {
		t.Errorf("tampered merge source: %v", err)
	}
}

func TestMachineConfigGolden(t *testing.T) {
	t.Parallel()
	data, _ := os.ReadFile("testdata/butane/chrony.bu")
	name, out, err := MachineConfig("testdata/butane/chrony.bu", data)
	if err != nil {
		t.Fatal(err)
	}
	if name != "99-worker-chrony" {
		t.Errorf("name = %q", name)
	}
	assertGolden(t, "butane/chrony.yaml", out)
}

func TestMachineConfigStrict(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"warning.bu": `testdata/butane/warning.bu:11:7: warning`,
		"fcos.bu":    `variant "fcos" makes an Ignition config`,
		"broken.bu":  `testdata/butane/broken.bu:5: mapping values`,
	}
	for file, want := range cases {
		data, _ := os.ReadFile("testdata/butane/" + file)
		_, _, err := MachineConfig("testdata/butane/"+file, data)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to contain %q", file, err, want)
		}
	}
}
