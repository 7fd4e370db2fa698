package bastion

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestFindPortHoldersRealSockets finds this test process as the holder of
// a TCP listener and a UDP socket it opened on loopback, and nothing on a
// port nobody holds.
func TestFindPortHoldersRealSockets(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	u, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	comm, _ := os.ReadFile("/proc/self/comm")
	for _, udp := range []bool{false, true} {
		got, err := FindPortHolders("/proc", net.ParseIP("127.0.0.1"), port, udp)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].PID != os.Getpid() || got[0].Program != strings.TrimSpace(string(comm)) {
			t.Fatalf("udp=%v: holders %+v, want this process (pid %d)", udp, got, os.Getpid())
		}
		if hint := got[0].StopHint(); got[0].Unit == "" && hint != "kill "+strconv.Itoa(os.Getpid()) {
			t.Errorf("stop hint %q", hint)
		}
	}
	// another address on the same port is not held
	if got, _ := FindPortHolders("/proc", net.ParseIP("127.0.0.2"), port, false); len(got) != 0 {
		t.Errorf("127.0.0.2:%d held by %+v, want nobody", port, got)
	}
	l2, _ := net.Listen("tcp", "127.0.0.1:0")
	free := l2.Addr().(*net.TCPAddr).Port
	l2.Close()
	if got, _ := FindPortHolders("/proc", net.ParseIP("127.0.0.1"), free, false); len(got) != 0 {
		t.Errorf("free port %d held by %+v", free, got)
	}
}

// TestFindPortHoldersTables reads a /proc of fixture files: IPv4 and IPv6
// listeners, wildcard addresses (which take the port on every address),
// TCP sockets that only connect, and a master and worker sharing a socket.
func TestFindPortHoldersTables(t *testing.T) {
	t.Parallel()
	proc := t.TempDir()
	write := func(p, data string) {
		t.Helper()
		full := filepath.Join(proc, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	head := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	write("net/tcp", head+
		"   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0 100 0 0 10 0\n"+ // 0.0.0.0:80 listen
		"   1: 6578A8C0:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 1002 1 0 100 0 0 10 0\n"+ // 192.168.120.101:8080 established
		"   2: 6578A8C0:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1003 1 0 100 0 0 10 0\n") // 192.168.120.101:5000 listen
	write("net/tcp6", head+
		"   0: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1004 1 0 100 0 0 10 0\n") // [::]:443 listen
	write("net/udp", head+
		"   0: 6578A8C0:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 1005 2 0 0\n") // 192.168.120.101:53
	for pid, fds := range map[string]map[string]string{
		"812": {"3": "socket:[1001]", "4": "/dev/null"}, "813": {"6": "socket:[1001]"},
		"900": {"7": "socket:[1003]"}, "901": {"8": "socket:[1004]"}, "902": {"9": "socket:[1005]"}, "903": {"3": "socket:[1002]"},
	} {
		for fd, target := range fds {
			full := filepath.Join(proc, pid, "fd", fd)
			os.MkdirAll(filepath.Dir(full), 0o755)
			if err := os.Symlink(target, full); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("812/comm", "nginx\n")
	write("812/cgroup", "0::/system.slice/nginx.service\n")
	write("813/comm", "nginx\n")
	write("813/cgroup", "0::/system.slice/nginx.service\n")
	write("900/comm", "docker-registry\n")
	write("900/cgroup", "12:pids:/system.slice/docker-registry.service\n1:name=systemd:/system.slice/docker-registry.service\n")
	write("901/comm", "haproxy\n")
	write("901/cgroup", "0::/system.slice/haproxy.service/worker\n")
	write("902/comm", "dnsmasq\n")
	write("902/cgroup", "0::/user.slice/user-0.slice/session-1.scope\n")
	bastionIP := net.ParseIP("192.168.120.101")
	cases := []struct {
		port int
		udp  bool
		want string
	}{
		{80, false, "nginx (pid 812, nginx.service)|nginx (pid 813, nginx.service)"},
		{443, false, "haproxy (pid 901, haproxy.service)"},
		{5000, false, "docker-registry (pid 900, docker-registry.service)"},
		{53, true, "dnsmasq (pid 902)"},
		{53, false, ""},
		{8080, false, ""}, // only a connection from that port
	}
	for _, c := range cases {
		got, err := FindPortHolders(proc, bastionIP, c.port, c.udp)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, h := range got {
			names = append(names, h.String())
		}
		if strings.Join(names, "|") != c.want {
			t.Errorf("port %d udp=%v: %q, want %q", c.port, c.udp, strings.Join(names, "|"), c.want)
		}
	}
	if got, _ := FindPortHolders(proc, bastionIP, 80, false); got[0].StopHint() != "systemctl disable --now nginx.service" {
		t.Errorf("stop hint %q", got[0].StopHint())
	}
}

func TestUnitOfCgroup(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"0::/system.slice/nginx.service\n":                                     "nginx.service",
		"0::/system.slice/haproxy.service/sub\n":                               "haproxy.service",
		"0::/user.slice/user-0.slice/session-3.scope\n":                        "",
		"0::/user.slice/user-1000.slice/user@1000.service/app.slice/x.service": "",
		"4:memory:/x\n1:name=systemd:/system.slice/etcd.service\n":             "etcd.service",
		"0::/\n": "",
		"":       "",
	} {
		if got := UnitOfCgroup(in); got != want {
			t.Errorf("UnitOfCgroup(%q) = %q, want %q", in, got, want)
		}
	}
}
