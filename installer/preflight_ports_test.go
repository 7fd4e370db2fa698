package installer

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/spec"
)

// TestBusyPortNamesTheHolder holds a loopback port (TCP, and UDP for DNS)
// and checks that preflight names this process by program and PID, with
// the command that frees the port, and stops nothing.
func TestBusyPortNamesTheHolder(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	comm, _ := os.ReadFile("/proc/self/comm")
	pid := strconv.Itoa(os.Getpid())
	msg := busyPort("spec.bastion.ports.api", "127.0.0.1", port, false, errors.New("bind: address already in use"))
	want := regexp.MustCompile(`^spec\.bastion\.ports\.api: 127\.0\.0\.1:` + strconv.Itoa(port) + ` is in use by ` +
		regexp.QuoteMeta(strings.TrimSpace(string(comm))) + ` \(pid ` + pid + `\): stop it \(` + "`kill " + pid + "`" + `; okdctl stops nothing itself\) or choose another port$`)
	if !want.MatchString(msg) {
		t.Errorf("message %q\nwant %s", msg, want)
	}
	// DNS: a UDP holder alone is named too
	u, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	uport := u.LocalAddr().(*net.UDPAddr).Port
	if msg := busyPort("spec.bastion.ports.dns", "127.0.0.1", uport, true, errors.New("x")); !strings.Contains(msg, "(pid "+pid+")") {
		t.Errorf("UDP holder not named: %q", msg)
	}
	// the listener is still open: preflight stopped nothing
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatalf("the held port stopped answering: %v", err)
	}
	c.Close()
}

// TestToolsOnlyHAProxyNginx: okdctl serves etcd, CoreDNS and the
// registry itself, so a real bastion needs only haproxy, nginx and
// systemctl, the sandbox no systemctl.
func TestToolsOnlyHAProxyNginx(t *testing.T) {
	t.Parallel()
	c, err := spec.LoadFile(filepath.Join("..", "examples", "lab.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ToolsFor(&c.Spec, false), " "); got != "nginx haproxy systemctl" {
		t.Errorf("a real bastion needs %q", got)
	}
	if got := strings.Join(ToolsFor(&c.Spec, true), " "); got != "nginx haproxy" {
		t.Errorf("the sandbox needs %q", got)
	}
}
