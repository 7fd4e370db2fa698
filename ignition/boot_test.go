package ignition

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func labBoots(hashes bool) []Boot {
	base := Boot{Gateway: "192.168.120.101", Netmask: "255.255.255.0", Nameservers: []string{"192.168.120.101"}}
	nodes := []struct{ name, role, ip, nic, mac string }{
		{"bootstrap", "bootstrap", "192.168.120.102", "ens787f0", ""},
		{"master", "master", "192.168.120.103", "ens787f0", ""},
		{"worker", "worker", "192.168.120.104", "ens786f1", "52:54:00:aa:bb:04"},
	}
	var out []Boot
	for _, n := range nodes {
		b := base
		b.Name, b.Role, b.IP, b.NIC, b.MAC, b.Disk = n.name, n.role, n.ip, n.nic, n.mac, "/dev/sda"
		b.FQDN = n.name + ".okd.example"
		b.IgnitionURL = "http://192.168.120.101:8080/ignition/" + n.name + ".ign"
		if hashes {
			b.IgnitionHash = SHA512([]byte(n.name))
		}
		out = append(out, b)
	}
	return out
}

func withMedia(boots []Boot) []Boot {
	for i := range boots {
		boots[i].KernelURL = "http://192.168.120.101:8080/install/fedora-coreos-live-kernel-x86_64"
		boots[i].InitramfsURL = "http://192.168.120.101:8080/install/fedora-coreos-live-initramfs.x86_64.img"
		boots[i].RootfsURL = "http://192.168.120.101:8080/install/fedora-coreos-live-rootfs.x86_64.img"
	}
	return boots
}

func TestKernelArgsSeedLine(t *testing.T) {
	t.Parallel()
	b := labBoots(false)[0]
	want := "ip=192.168.120.102::192.168.120.101:255.255.255.0:bootstrap.okd.example:ens787f0:none " +
		"nameserver=192.168.120.101 rd.neednet=1 coreos.inst.install_dev=/dev/sda " +
		"coreos.inst.ignition_url=http://192.168.120.101:8080/ignition/bootstrap.ign"
	if got := KernelArgs(b); got != want {
		t.Errorf("KernelArgs:\n got %s\nwant %s", got, want)
	}
	b.Disk = "sda"
	if got := KernelArgs(b); !strings.Contains(got, "coreos.inst.install_dev=/dev/sda ") {
		t.Errorf("a bare disk name is not completed to /dev/sda: %s", got)
	}
}

func TestImageURLOnlyFromBastion(t *testing.T) {
	t.Parallel()
	b := labBoots(true)[1]
	if got := KernelArgs(b); strings.Contains(got, "image_url") || strings.Contains(got, "insecure") {
		t.Errorf("live media install carries an image URL: %s", got)
	}
	b.ImageURL = "http://192.168.120.101:8080/install/coreos.raw.xz"
	if got := KernelArgs(b); !strings.HasSuffix(got, " coreos.inst.image_url="+b.ImageURL+" coreos.inst.insecure") {
		t.Errorf("unsigned bastion image without coreos.inst.insecure: %s", got)
	}
	if got := InstallCommand(b); !strings.HasSuffix(got, " --image-url="+b.ImageURL+" --insecure") {
		t.Errorf("unsigned bastion image without --insecure: %s", got)
	}
	b.ImageSigned = true
	if got := KernelArgs(b); strings.Contains(got, "insecure") {
		t.Errorf("signed image still insecure: %s", got)
	}
}

func TestInstallCommandHash(t *testing.T) {
	t.Parallel()
	b := labBoots(false)[2]
	if got := InstallCommand(b); !strings.Contains(got, "--insecure-ignition") || strings.Contains(got, "--ignition-hash") {
		t.Errorf("without ignition: %s", got)
	}
	b.IgnitionHash = SHA512([]byte("x"))
	got := InstallCommand(b)
	if !strings.Contains(got, "--ignition-hash="+b.IgnitionHash) || strings.Contains(got, "insecure") {
		t.Errorf("with ignition: %s", got)
	}
	if strings.Contains(KernelArgs(b), "hash") {
		t.Errorf("the hash has no kernel argument, yet the line carries one: %s", KernelArgs(b))
	}
}

func TestBootFormatsGolden(t *testing.T) {
	t.Parallel()
	bastion := labBoots(true)
	bastion[1].ImageURL = "http://192.168.120.101:8080/install/coreos.raw.xz"
	cases := []struct {
		name, format string
		boots        []Boot
	}{
		{"text-nohash", FormatText, labBoots(false)},
		{"text", FormatText, labBoots(true)},
		{"text-frombastion", FormatText, bastion[1:2]},
		{"json", FormatJSON, labBoots(true)},
		{"json-nohash", FormatJSON, labBoots(false)},
		{"ipxe", FormatIPXE, withMedia(labBoots(true))},
		{"ipxe-one", FormatIPXE, withMedia(labBoots(true))[2:]},
		{"pxe", FormatPXE, withMedia(labBoots(true))},
		{"grub", FormatGRUB, withMedia(labBoots(true))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := Render(tc.format, tc.boots)
			if err != nil {
				t.Fatal(err)
			}
			assertGolden(t, "boot/"+tc.name, out)
		})
	}
}

func TestBootJSONFields(t *testing.T) {
	t.Parallel()
	out, err := Render(FormatJSON, labBoots(true))
	if err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	if err := json.Unmarshal(out, &recs); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"name", "role", "fqdn", "ip", "kernelArgs", "ignitionURL", "ignitionHash", "imageURL", "coreosInstaller"} {
		if _, ok := recs[0][f]; !ok {
			t.Errorf("json record lacks %q: %v", f, recs[0])
		}
	}
}

func TestNetworkFormatsNeedMedia(t *testing.T) {
	t.Parallel()
	for _, f := range []string{FormatIPXE, FormatPXE, FormatGRUB} {
		_, err := Render(f, labBoots(true))
		if !errors.Is(err, ErrNoPXEMedia) || !strings.Contains(err.Error(), "spec.coreos.kernel") {
			t.Errorf("%s without media: %v", f, err)
		}
	}
}

func TestPXENeedsMAC(t *testing.T) {
	t.Parallel()
	_, err := Render(FormatPXE, withMedia(labBoots(true))[:1])
	if err == nil || !strings.Contains(err.Error(), "bootstrap has none") {
		t.Errorf("pxe for a node without MAC: %v", err)
	}
	files, err := PXEFiles(withMedia(labBoots(true)))
	if err != nil || len(files) != 1 || files["01-52-54-00-aa-bb-04"] == nil {
		t.Errorf("PXEFiles = %v, %v", files, err)
	}
}

func TestBootMissingFields(t *testing.T) {
	t.Parallel()
	b := labBoots(true)[0]
	b.Disk = ""
	if _, err := Render(FormatText, []Boot{b}); err == nil || !strings.Contains(err.Error(), "no disk") {
		t.Errorf("missing disk: %v", err)
	}
	b = labBoots(true)[0]
	b.NIC = ""
	if got := KernelArgs(b); !strings.HasPrefix(got, "ip=192.168.120.102::192.168.120.101:255.255.255.0:bootstrap.okd.example::none ") {
		t.Errorf("without nic: %s", got)
	}
	if _, err := Render("yaml", labBoots(true)); err == nil || !strings.Contains(err.Error(), "text, json, ipxe, pxe, grub") {
		t.Errorf("unknown format: %v", err)
	}
}
