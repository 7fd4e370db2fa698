package vmnode

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Options describe one machine.
type Options struct {
	Name string
	// MAC is its NIC's address; Tap the tap device it is plugged into.
	MAC, Tap string
	// Kernel, Initrd and Append boot it directly (a USB stick's kernel and
	// the kernel arguments a person types); empty Kernel boots it from
	// the network (BIOS: SeaBIOS and iPXE's e1000 ROM).
	Kernel, Initrd, Append string
	// UEFI boots OVMF (Debian's ovmf) instead of SeaBIOS.
	UEFI bool
	// FirmwarePXE gives the machine a virtio-net NIC without an option
	// ROM, so that the firmware's own PXE client (OVMF's, UEFI only)
	// boots it and the first loader comes over TFTP; otherwise the NIC is
	// an e1000 whose ROM is iPXE already.
	FirmwarePXE bool
	// MemoryMB defaults to 512.
	MemoryMB int
}

// VM is a running QEMU whose serial console goes to a file.
type VM struct {
	Name    string
	Started time.Time
	cmd     *exec.Cmd
	serial  string
	done    chan struct{}
	err     error
}

// Accel is the QEMU accelerator: TCG emulation, since nested KVM fails
// on the machines these tests run on (and is not needed: a boot to
// ignition takes seconds). OKDCTL_VM_ACCEL=kvm overrides it.
func Accel() string {
	if a := os.Getenv("OKDCTL_VM_ACCEL"); a != "" {
		return a
	}
	return "tcg"
}

// OVMF is the UEFI firmware of Debian's ovmf package.
const OVMF = "/usr/share/qemu/OVMF.fd"

// Start boots a machine; it is killed by its PID when t ends.
func Start(t testing.TB, o Options) *VM {
	t.Helper()
	bin, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		t.Fatalf("qemu-system-x86_64 is needed for the PXE rehearsal: run `make tools` (qemu-system-x86, ipxe-qemu)")
	}
	if o.MemoryMB == 0 {
		o.MemoryMB = 512
	}
	vm := &VM{Name: o.Name, serial: filepath.Join(t.TempDir(), o.Name+".serial"), done: make(chan struct{})}
	args := []string{"-name", o.Name, "-accel", Accel(), "-m", fmt.Sprint(o.MemoryMB), "-nodefaults", "-no-user-config",
		"-display", "none", "-vga", "none", "-no-reboot", "-serial", "file:" + vm.serial,
		"-netdev", "tap,id=n0,ifname=" + o.Tap + ",script=no,downscript=no"}
	if o.FirmwarePXE {
		if !o.UEFI {
			t.Fatalf("%s: only UEFI (OVMF) has a PXE client of its own; SeaBIOS needs iPXE's ROM", o.Name)
		}
		args = append(args, "-device", "virtio-net-pci,netdev=n0,romfile=,bootindex=1,mac="+o.MAC)
	} else {
		args = append(args, "-device", "e1000,netdev=n0,mac="+o.MAC)
	}
	if o.UEFI {
		args = append(args, "-bios", OVMF)
	}
	if o.Kernel != "" {
		args = append(args, "-kernel", o.Kernel, "-initrd", o.Initrd, "-append", o.Append)
	} else if !o.FirmwarePXE { // FirmwarePXE's NIC has bootindex=1
		args = append(args, "-boot", "n")
	}
	vm.cmd = exec.Command(bin, args...)
	out, err := os.Create(vm.serial + ".qemu")
	if err != nil {
		t.Fatal(err)
	}
	vm.cmd.Stdout, vm.cmd.Stderr = out, out
	vm.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	vm.Started = time.Now()
	if err := vm.cmd.Start(); err != nil {
		t.Fatalf("failed to start QEMU for %s: %v", o.Name, err)
	}
	go func() { vm.err = vm.cmd.Wait(); out.Close(); close(vm.done) }()
	t.Cleanup(func() {
		select {
		case <-vm.done:
		default:
			_ = syscall.Kill(vm.cmd.Process.Pid, syscall.SIGKILL)
			<-vm.done
		}
	})
	return vm
}

// Serial is what the machine wrote to its serial console so far.
func (vm *VM) Serial() string {
	data, _ := os.ReadFile(vm.serial)
	return string(data)
}

// Reports are the serial lines of init.sh (without the OKDCTL-VM prefix).
func (vm *VM) Reports() []string {
	var out []string
	for _, l := range strings.Split(vm.Serial(), "\n") {
		if i := strings.Index(l, "OKDCTL-VM "); i >= 0 {
			out = append(out, strings.TrimSpace(l[i+len("OKDCTL-VM "):]))
		}
	}
	return out
}

// Report is the first report starting with prefix, or "".
func (vm *VM) Report(prefix string) string {
	for _, r := range vm.Reports() {
		if strings.HasPrefix(r, prefix) {
			return r
		}
	}
	return ""
}

// Wait waits until the machine powered off, or kills it after timeout;
// the error then carries its console.
func (vm *VM) Wait(timeout time.Duration) (time.Duration, error) {
	select {
	case <-vm.done:
		return time.Since(vm.Started), nil
	case <-time.After(timeout):
		_ = syscall.Kill(vm.cmd.Process.Pid, syscall.SIGKILL)
		<-vm.done
		qemu, _ := os.ReadFile(vm.serial + ".qemu")
		return time.Since(vm.Started), fmt.Errorf("%s did not power off within %s; serial console:\n%s\nqemu:\n%s", vm.Name, timeout, vm.Serial(), qemu)
	}
}

// Killed says whether the machine is still running (false) or ended.
func (vm *VM) Ended() bool {
	select {
	case <-vm.done:
		return true
	default:
		return false
	}
}
