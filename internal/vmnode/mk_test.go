package vmnode

import (
	"os"
	"testing"
)

func TestWriteInitramfsForManualRun(t *testing.T) {
	out := os.Getenv("OKDCTL_VM_INITRD_OUT")
	if out == "" {
		t.Skip("manual")
	}
	k, err := FindKernel()
	if err != nil {
		t.Fatal(err)
	}
	data, err := Initramfs(k, InitramfsOptions{InstallerLines: "sudo coreos-installer install /dev/sda --ignition-url=http://192.168.120.101:8080/ignition/m.ign --ignition-hash=sha512-abc\n"})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(out, data, 0o644)
}
