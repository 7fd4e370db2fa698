package installer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/okdctl/okdctl/registry"
	"github.com/okdctl/okdctl/spec"
	"github.com/okdctl/okdctl/verify"
)

// VerifyInput is what `okdctl verify` checks for rc's cluster, whoever
// serves each part: the record set at the DNS server the nodes use (and
// that removed nodes stay gone), the load balancer's frontends and health,
// every node's ignition against its boot line's hash, the mirror registry,
// the bastion's clock and disk. The install's progress (the state) says
// what cannot pass yet.
func VerifyInput(rc *RunContext) verify.Input {
	return verify.Input{DNS: verifyDNS(rc), LB: VerifyLB(rc), Web: verifyWeb(rc), Registry: verifyRegistry(rc),
		Bastion: verifyBastion(rc)}
}

func verifyDNS(rc *RunContext) *verify.DNSInput {
	in := DNSInput(rc)
	current := map[string]bool{}
	for _, n := range in.Nodes {
		current[strings.ToLower(n.Name)] = true
	}
	var removed []string
	for _, n := range PublishedNodes(rc) {
		if !current[n] {
			removed = append(removed, n)
		}
	}
	return &verify.DNSInput{Server: rc.Spec().DNSServer(), Records: in, Removed: removed}
}

func verifyWeb(rc *RunContext) *verify.WebInput {
	c := rc.Cluster()
	hashes := ignitionHashes(rc)
	w := &verify.WebInput{BaseURL: BaseURL(c)}
	for _, n := range c.Spec.Nodes {
		f := verify.IgnitionFile{Node: n.Name, URL: IgnitionURL(c, n), SHA512: hashes[n.Name]}
		f.Gone = n.Role == spec.RoleBootstrap && Bootstrapped(rc) // the bootstrap phase takes it away
		w.Ignition = append(w.Ignition, f)
	}
	return w
}

// verifyRegistry is the mirror registry (okdctl's or the site's), or nil
// when the release comes from the internet.
func verifyRegistry(rc *RunContext) *verify.RegistryInput {
	s := rc.Spec()
	if !s.UsesRegistry() {
		return nil
	}
	e, err := MirrorEndpoint(rc)
	if err != nil { // not created yet: TLS and auth fail with what is missing
		e = &registry.Endpoint{Name: RegistryName(rc.Cluster()), IP: s.Bastion.IP, Port: s.Bastion.Ports.Registry}
	}
	r := &verify.RegistryInput{Endpoint: *e, External: s.Registry.External != nil}
	if data, err := rc.Host().Files.ReadFile(rc.StatePath(FileMirrorMapping)); err == nil {
		if m, err := registry.DecodeMapping(data); err == nil {
			r.Release = m.ReleaseMirror
		}
	}
	return r
}

func verifyBastion(rc *RunContext) *verify.BastionInput {
	b := &verify.BastionInput{Disks: []verify.Disk{{What: "web root (ignition, CoreOS media)", Dir: rc.IgnitionWebDir(), Need: 2 << 30}}}
	if rc.Spec().RegistryEnabled() && rc.Spec().MirrorEnabled() {
		// before the mirror: room for a release payload (10-15 GB for OKD;
		// preflight sizes it from the manifests); once mirrored, only the
		// margin the mirror phase keeps free
		mirror := verify.Disk{What: "mirror registry, to mirror a release", Dir: registryLayout(rc).DataDir, Need: 20 << 30}
		if rc.State() != nil && rc.State().Phase(PhaseMirror).Status == StatusDone {
			mirror.What, mirror.Need = "mirror registry, mirrored", uint64(registry.SpaceMargin(0))
		}
		b.Disks = append(b.Disks, mirror)
	}
	if !rc.Sandbox() {
		b.FirewalldPorts = firewalldPorts(rc)
		b.FirewalldZone = bastionFirewalld(context.Background(), rc).zone
	}
	return b
}

// MirrorEndpoint is how clients reach the mirror registry: okdctl's own
// (from the registry phase's files) or the site's (spec.registry.external:
// its CA file and the credentials of its auth file).
func MirrorEndpoint(rc *RunContext) (*registry.Endpoint, error) {
	ext := rc.Spec().Registry.External
	if ext == nil {
		return registryEndpoint(rc)
	}
	name, portText, err := net.SplitHostPort(ext.Host)
	port, _ := strconv.Atoi(portText)
	if err != nil || port == 0 {
		return nil, fmt.Errorf("spec.registry.external.host %q is not name:port", ext.Host)
	}
	ca, err := os.ReadFile(ext.CAFile)
	if err != nil {
		return nil, fmt.Errorf("failed to read spec.registry.external.caFile: %w", err)
	}
	user, pass, err := authOf(ext.AuthFile, ext.Host)
	if err != nil {
		return nil, err
	}
	rc.Log().AddSecret(pass)
	ip := ext.IP
	if ip == "" {
		ip = name // reached through the bastion's resolver; TLS is then checked by name only
	}
	return &registry.Endpoint{Name: name, IP: ip, Port: port, CACert: ca, User: user, Password: pass}, nil
}

// authOf reads host's user and password from a pull secret file.
func authOf(file, host string) (string, string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", "", fmt.Errorf("failed to read spec.registry.external.authFile: %w", err)
	}
	var ps struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(data, &ps); err != nil {
		return "", "", fmt.Errorf("spec.registry.external.authFile %s is not a pull secret (JSON {\"auths\": ...})", file)
	}
	raw, err := base64.StdEncoding.DecodeString(ps.Auths[host].Auth)
	user, pass, ok := strings.Cut(string(raw), ":")
	if err != nil || !ok || user == "" {
		return "", "", fmt.Errorf("spec.registry.external.authFile %s has no credentials for %s", file, host)
	}
	return user, pass, nil
}
