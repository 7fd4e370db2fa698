package vmnode

import (
	"bytes"
	"strings"
	"testing"
)

func TestInitramfsHoldsTheLiveSystem(t *testing.T) {
	t.Parallel()
	k, err := FindKernel()
	if err != nil {
		t.Fatal(err)
	}
	lines := "sudo coreos-installer install /dev/sda --ignition-url=http://192.168.120.101:8080/ignition/master.ign --ignition-hash=sha512-00\n"
	data, err := Initramfs(k, InitramfsOptions{InstallerLines: lines})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range [][]byte{[]byte("init\x00"), []byte("bin/busybox\x00"), []byte("lib/modules/e1000.ko\x00"), []byte("lib/modules/virtio_net.ko\x00"), []byte("e1000\nvirtio_ring\n"), initScript, []byte(lines), []byte("TRAILER!!!\x00")} {
		if !bytes.Contains(data, want) {
			t.Errorf("the initramfs lacks %.40q", want)
		}
	}
	if !bytes.HasPrefix(data, []byte("070701")) || len(data)%4 != 0 {
		t.Errorf("not a newc archive (%d bytes, starts %q)", len(data), data[:6])
	}
	if bytes.Contains(data, []byte("etc/okdctl/dhcp\x00")) {
		t.Error("the DHCP probe is on without InitramfsOptions.DHCP")
	}
}

func TestInstallerLines(t *testing.T) {
	t.Parallel()
	text := "# master (master) master.okd.example 192.168.120.103\nkernel arguments (append at the live media's boot prompt):\n  ip=...\nor, from a shell on the live system:\n  sudo coreos-installer install /dev/sda --ignition-url=U --ignition-hash=sha512-1\n"
	if got := InstallerLines(text); got != "sudo coreos-installer install /dev/sda --ignition-url=U --ignition-hash=sha512-1\n" {
		t.Errorf("got %q", got)
	}
	if strings.Contains(InstallerLines("no commands"), "coreos") {
		t.Error("lines from nothing")
	}
}

func TestPXELinuxFiles(t *testing.T) {
	t.Parallel()
	text := "# file: pxelinux.cfg/01-52-54-00-aa-bb-02\n# okdctl: bootstrap\nDEFAULT bootstrap\n  APPEND a b\n\n" +
		"# file: pxelinux.cfg/01-52-54-00-aa-bb-03\nDEFAULT master\n\n# no pxelinux config for worker: no MAC in the spec (set spec.nodes[].mac)\n"
	got := PXELinuxFiles(text)
	want := map[string]string{"pxelinux.cfg/01-52-54-00-aa-bb-02": "# okdctl: bootstrap\nDEFAULT bootstrap\n  APPEND a b\n",
		"pxelinux.cfg/01-52-54-00-aa-bb-03": "DEFAULT master\n"}
	if len(got) != len(want) {
		t.Fatalf("got %d files %q, want %d", len(got), got, len(want))
	}
	for name, w := range want {
		if string(got[name]) != w {
			t.Errorf("%s: got %q, want %q", name, got[name], w)
		}
	}
}
