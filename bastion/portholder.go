package bastion

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// PortHolder is a process holding a socket bound to a port, found in /proc.
type PortHolder struct {
	PID     int
	Program string
	// Unit is the systemd unit the process runs in (nginx.service); empty
	// when it runs outside one (a login session's scope is not named).
	Unit string
}

// String names the holder for a person: `nginx (pid 812, nginx.service)`.
func (h PortHolder) String() string {
	if h.Unit == "" {
		return fmt.Sprintf("%s (pid %d)", h.Program, h.PID)
	}
	return fmt.Sprintf("%s (pid %d, %s)", h.Program, h.PID, h.Unit)
}

// StopHint is the command that frees the port: disabling the holder's unit
// so that it stays stopped after a reboot, or ending the process.
func (h PortHolder) StopHint() string {
	if h.Unit != "" && strings.HasSuffix(h.Unit, ".service") {
		return "systemctl disable --now " + h.Unit
	}
	return "kill " + strconv.Itoa(h.PID)
}

// FindPortHolders lists the processes holding a socket bound to ip:port
// (TCP listeners, or UDP sockets when udp is set), including sockets bound
// to the wildcard address, which also take the port on ip. It reads
// /proc/net and /proc/PID/fd under procRoot ("/proc" on a bastion), so it
// sees only processes this user may inspect; the first holder of a shared
// socket (a master process and its workers) comes first.
func FindPortHolders(procRoot string, ip net.IP, port int, udp bool) ([]PortHolder, error) {
	tables := []string{"tcp", "tcp6"}
	if udp {
		tables = []string{"udp", "udp6"}
	}
	inodes := map[string]bool{}
	for _, table := range tables {
		if err := boundInodes(filepath.Join(procRoot, "net", table), ip, port, !udp, inodes); err != nil {
			return nil, err
		}
	}
	if len(inodes) == 0 {
		return nil, nil
	}
	return socketHolders(procRoot, inodes)
}

// boundInodes adds the inodes of the sockets in a /proc/net table bound to
// ip (or the wildcard) and port; listening ones only for TCP.
func boundInodes(path string, ip net.IP, port int, listenOnly bool, into map[string]bool) error {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil // no IPv6 on this kernel
	}
	if err != nil {
		return fmt.Errorf("failed to read the bound sockets: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || (listenOnly && fields[3] != "0A") {
			continue
		}
		addr, p, ok := ParseProcAddr(fields[1])
		if ok && p == port && (addr.IsUnspecified() || addr.Equal(ip)) {
			into[fields[9]] = true
		}
	}
	return sc.Err()
}

// ParseProcAddr decodes /proc/net's "0100007F:0050": the address in host
// byte order, 32 bits at a time, and the port in hex.
func ParseProcAddr(s string) (net.IP, int, bool) {
	hexIP, hexPort, ok := strings.Cut(s, ":")
	raw, err := hex.DecodeString(hexIP)
	port, perr := strconv.ParseUint(hexPort, 16, 16)
	if !ok || err != nil || perr != nil || (len(raw) != 4 && len(raw) != 16) {
		return nil, 0, false
	}
	ip := make(net.IP, len(raw))
	for i := 0; i < len(raw); i += 4 {
		ip[i], ip[i+1], ip[i+2], ip[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	return ip, int(port), true
}

// socketHolders finds the processes with a descriptor on one of inodes.
func socketHolders(procRoot string, inodes map[string]bool) ([]PortHolder, error) {
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return nil, fmt.Errorf("failed to list the processes: %w", err)
	}
	var out []PortHolder
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if holdsOne(filepath.Join(procRoot, e.Name(), "fd"), inodes) {
			out = append(out, describeProcess(procRoot, pid))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out, nil
}

func holdsOne(fdDir string, inodes map[string]bool) bool {
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return false // gone, or not ours to inspect
	}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") && inodes[strings.TrimSuffix(link[len("socket:["):], "]")] {
			return true
		}
	}
	return false
}

func describeProcess(procRoot string, pid int) PortHolder {
	dir := filepath.Join(procRoot, strconv.Itoa(pid))
	h := PortHolder{PID: pid, Program: "pid " + strconv.Itoa(pid)}
	if comm, err := os.ReadFile(filepath.Join(dir, "comm")); err == nil {
		h.Program = strings.TrimSpace(string(comm))
	}
	if cg, err := os.ReadFile(filepath.Join(dir, "cgroup")); err == nil {
		h.Unit = UnitOfCgroup(string(cg))
	}
	return h
}

// UnitOfCgroup is the systemd service a process runs in, from the text of
// /proc/PID/cgroup (the unified hierarchy's line, or cgroup v1's
// name=systemd one): the innermost *.service path element, so a service's
// own sub-cgroups still name it. Empty outside a system service.
func UnitOfCgroup(text string) string {
	for _, line := range strings.Split(text, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || (parts[0] != "0" && parts[1] != "name=systemd") {
			continue
		}
		if strings.Contains(parts[2], "/user@") {
			return "" // under a user's own service manager: not a system unit
		}
		elems := strings.Split(parts[2], "/")
		for i := len(elems) - 1; i >= 0; i-- {
			if strings.HasSuffix(elems[i], ".service") {
				return elems[i]
			}
		}
	}
	return ""
}
