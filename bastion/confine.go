package bastion

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// Confinement is how systemd confines a service on a real bastion: its own
// user, no privileges but the ones it needs, a read-only system with the
// paths it writes named, and a system-call filter (`systemd-analyze
// security` scores every okdctl unit at 3.0 or less). The sandbox
// supervisor ignores it.
type Confinement struct {
	// None leaves the unit unconfined: a container runtime (podman) needs
	// namespaces, mounts and root.
	None bool
	// WritePaths are the only paths the service writes. A path under
	// /var/lib, /var/cache, /var/log or /run becomes a State-, Cache-,
	// Logs- or RuntimeDirectory= (created by systemd and owned by the
	// service's user); any other one a ReadWritePaths= entry.
	WritePaths []string
	// ReadHome lets the service read (never write) /home, /root and
	// /run/user: the approver reads the spec and kubeconfig where the user
	// keeps them.
	ReadHome bool
	// Families are the socket families besides AF_INET, AF_INET6 and
	// AF_UNIX, e.g. AF_NETLINK for a program that lists the interfaces.
	Families []string
	// Credentials are files systemd hands to the service's user in a
	// private directory (LoadCredential=), so that keys stay root's 0600.
	Credentials []Credential
}

// Credential is a file loaded by systemd for the service: readable by its
// user at $CREDENTIALS_DIRECTORY/Name, whose path is put in Env.
type Credential struct {
	Name string
	Path string
	// Env names the variable that gets the credential's path (optional).
	Env string
}

// CredentialDir is where a system service finds its credentials (%d).
func CredentialDir(service string) string {
	return "/run/credentials/" + service + ".service"
}

// BindCapabilities is CAP_NET_BIND_SERVICE when a port below 1024 is
// bound, else nothing.
func BindCapabilities(ports ...int) []string {
	for _, p := range ports {
		if p > 0 && p < 1024 {
			return []string{"CAP_NET_BIND_SERVICE"}
		}
	}
	return nil
}

// systemd's managed directories: prefix -> directive.
var managedDirs = []struct{ prefix, directive string }{
	{"/var/lib/", "StateDirectory"}, {"/var/cache/", "CacheDirectory"},
	{"/var/log/", "LogsDirectory"}, {"/run/", "RuntimeDirectory"},
}

// renderConfinement writes the sandboxing directives of svc.
func renderConfinement(b *strings.Builder, svc Service) {
	c := svc.Confine
	caps := strings.Join(svc.Capabilities, " ")
	if c.None {
		if caps != "" {
			fmt.Fprintf(b, "AmbientCapabilities=%s\nCapabilityBoundingSet=%s\nNoNewPrivileges=true\n", caps, caps)
		}
		return
	}
	fmt.Fprintf(b, "AmbientCapabilities=%s\nCapabilityBoundingSet=%s\n", caps, caps)
	for _, line := range writeDirectives(c.WritePaths) {
		b.WriteString(line + "\n")
	}
	for _, cred := range c.Credentials {
		fmt.Fprintf(b, "LoadCredential=%s:%s\n", cred.Name, quoteUnitWord(cred.Path))
		if cred.Env != "" {
			fmt.Fprintf(b, "Environment=%s=%%d/%s\n", cred.Env, cred.Name)
		}
	}
	home := "yes"
	if c.ReadHome {
		home = "read-only"
	}
	families := append([]string{"AF_INET", "AF_INET6", "AF_UNIX"}, c.Families...)
	fmt.Fprintf(b, `NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=%s
PrivateTmp=yes
PrivateDevices=yes
DevicePolicy=closed
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
RestrictAddressFamilies=%s
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
RemoveIPC=yes
UMask=0077
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM
`, home, strings.Join(families, " "))
}

// writeDirectives names the writable paths: systemd-managed directories
// where a path is under one (mode 0700, owned by the service's user),
// ReadWritePaths= for the others.
func writeDirectives(paths []string) []string {
	dirs := map[string][]string{}
	var rw []string
	for _, p := range paths {
		p = filepath.Clean(p)
		managed := false
		for _, m := range managedDirs {
			if rel, ok := strings.CutPrefix(p, m.prefix); ok && rel != "" {
				dirs[m.directive] = append(dirs[m.directive], rel)
				managed = true
				break
			}
		}
		if !managed {
			rw = append(rw, quoteUnitWord(p))
		}
	}
	var out []string
	for _, m := range managedDirs {
		if rels := dirs[m.directive]; len(rels) > 0 {
			sort.Strings(rels)
			out = append(out, m.directive+"="+strings.Join(rels, " "), m.directive+"Mode=0700")
		}
	}
	if len(rw) > 0 {
		sort.Strings(rw)
		out = append(out, "ReadWritePaths="+strings.Join(rw, " "))
	}
	return out
}
