package installer

import (
	"context"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/bastion"
)

func TestSELinuxPorts(t *testing.T) {
	t.Parallel()
	allowed := selinuxPorts("http_cache_port_t   tcp   8080, 8118, 10001-10010\nhttp_cache_port_t   udp   3130\n"+
		"http_port_t   tcp   80, 81, 443\nssh_port_t   tcp   22", "http_port_t", "http_cache_port_t")
	for port, want := range map[int]bool{80: true, 8080: true, 10005: true, 3130: false, 22: false, 8081: false} {
		if allowed(port) != want {
			t.Errorf("port %d allowed = %v, want %v", port, !want, want)
		}
	}
}

// TestHostAccessIdempotent: with everything already open and on, a real
// bastion gets no command that changes anything.
func TestHostAccessIdempotent(t *testing.T) {
	t.Parallel()
	fake := &fakeHost{answers: map[string]string{busctlKey: busctlPorts("22/tcp 6443/tcp 9000/tcp"), "getenforce": "Enforcing",
		"getsebool haproxy_connect_any": "haproxy_connect_any --> on",
		"semanage port -l":              "http_port_t tcp 80, 81, 443, 9000"}}
	h := &bastion.Host{Runner: fake}
	rc := &RunContext{cluster: validCluster(), host: h, log: NewLogger(LoggerOptions{})}
	a := hostAccess{What: "test", Ports: []int{6443, 9000}, Booleans: []string{"haproxy_connect_any"}, HTTPPorts: []int{9000}}
	if err := ensureHostAccess(context.Background(), rc, a); err != nil {
		t.Fatal(err)
	}
	for _, line := range fake.ran {
		if strings.Contains(line, "--add-port") || strings.HasPrefix(line, "setsebool") || strings.Contains(line, "port -a") {
			t.Errorf("ran %q although nothing was missing", line)
		}
	}
	sandbox := &RunContext{host: &bastion.Host{Sandbox: true, Rec: &bastion.Recorder{}, Runner: fake}}
	fake.ran = nil
	if err := ensureHostAccess(context.Background(), sandbox, a); err != nil || len(fake.ran) != 0 {
		t.Fatalf("sandbox: %v, ran %v", err, fake.ran)
	}
	if notes := sandbox.host.Rec.Take(); len(notes) != 1 || !strings.Contains(notes[0].Summary, "firewalld ports 6443/tcp 9000/tcp, SELinux boolean haproxy_connect_any=1") {
		t.Errorf("sandbox note: %+v", notes)
	}
}
