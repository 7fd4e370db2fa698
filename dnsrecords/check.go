package dnsrecords

import (
	"context"
	"fmt"
	"github.com/okdctl/okdctl/bastion"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// CheckCorefile proves a candidate Corefile before it replaces the live
// one. CoreDNS has no config-test flag, and parsing the file would miss
// what only plugin set-up finds (unknown properties, bad regexps, bad
// upstreams), so it starts CoreDNS with the candidate, bound to a spare
// loopback port instead of the real address, and waits until it answers
// the zone's SOA (which needs no etcd); then it stops it. coredns is the
// command that serves a Corefile given as -conf FILE (okdctl serve coredns).
func CheckCorefile(ctx context.Context, coredns []string, in Input, srv Server) error {
	if len(coredns) == 0 {
		return fmt.Errorf("failed to check the Corefile: no CoreDNS command")
	}
	var err error
	for range 3 { // a spare port may be taken between choosing and binding it
		if err = checkOnce(ctx, coredns, in, srv); err == nil || !strings.Contains(err.Error(), "address already in use") {
			return err
		}
	}
	return err
}

func checkOnce(ctx context.Context, coredns []string, in Input, srv Server) error {
	port, err := sparePort()
	if err != nil {
		return err
	}
	srv.Listen, srv.Port = []string{"127.0.0.1"}, port
	data, err := RenderCorefile(in, srv)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "okdctl-corefile-check-")
	if err != nil {
		return fmt.Errorf("failed to check the Corefile: %w", err)
	}
	defer os.RemoveAll(dir)
	conf := filepath.Join(dir, "Corefile")
	if err := os.WriteFile(conf, data, 0o644); err != nil {
		return fmt.Errorf("failed to check the Corefile: %w", err)
	}
	return runCandidate(ctx, coredns, conf, in.Zone(), fmt.Sprintf("127.0.0.1:%d", port))
}

func runCandidate(ctx context.Context, coredns []string, conf, zone, addr string) error {
	out := &bastion.SyncBuffer{}
	args := append(slices.Clone(coredns[1:]), "-conf", conf)
	cmd := exec.Command(coredns[0], args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = filepath.Dir(conf), out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("failed to start %s to check the Corefile: %w", strings.Join(coredns, " "), err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}()
	deadline := time.After(15 * time.Second)
	for {
		if resp, err := Exchange(ctx, addr, zone, dns.TypeSOA, 200*time.Millisecond, 1); err == nil && resp.Rcode == dns.RcodeSuccess {
			return nil
		}
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("the candidate Corefile does not work: CoreDNS exited (%v):\n%s", err, lastLines(out.String(), 15))
		case <-deadline:
			return fmt.Errorf("the candidate Corefile does not work: CoreDNS did not answer within 15s:\n%s", lastLines(out.String(), 15))
		case <-ctx.Done():
			return fmt.Errorf("failed to check the Corefile: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// sparePort is a loopback port free for both UDP and TCP.
func sparePort() (int, error) {
	for range 20 {
		u, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("failed to find a spare port: %w", err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		t, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		u.Close()
		if err == nil {
			t.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("failed to find a spare loopback port")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
