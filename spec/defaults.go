package spec

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/okdctl/okdctl/spec/release"
)

// DefaultPorts are the bastion ports of a real bastion.
var DefaultPorts = Ports{DNS: 53, API: 6443, MachineConfig: 22623, IngressHTTP: 80, IngressHTTPS: 443,
	Ignition: 8080, Registry: 5000, Etcd: 2379, EtcdPeer: 2380, Stats: 9000}

// Default wait deadlines.
const (
	DefaultAPITimeout           = 20 * time.Minute
	DefaultBootstrapTimeout     = 60 * time.Minute
	DefaultEtcdBootstrapTimeout = 5 * time.Minute
	DefaultNodesTimeout         = 60 * time.Minute
	DefaultInstallTimeout       = 60 * time.Minute
	DefaultSettle               = 30 * time.Second
)

// SetDefaults fills what the spec leaves out and resolves relative paths
// against the spec file's directory.
func (c *Cluster) SetDefaults() {
	s := &c.Spec
	if s.InstallDir == "" {
		s.InstallDir = c.Metadata.Name + "-install"
	}
	if s.SSHKeyFile == "" {
		s.SSHKeyFile, _ = UserSSHKey()
	}
	s.InstallDir = c.resolve(s.InstallDir)
	s.SSHKeyFile = c.resolve(s.SSHKeyFile)
	s.PullSecretFile = c.resolve(s.PullSecretFile)
	if d := s.DNS.External; d != nil {
		d.TSIGKey.SecretFile = c.resolve(d.TSIGKey.SecretFile)
	}
	if r := s.Registry.External; r != nil {
		r.CAFile, r.AuthFile = c.resolve(r.CAFile), c.resolve(r.AuthFile)
	}
	s.OpenShiftInstall = c.resolveTool(s.OpenShiftInstall)
	s.CoreOS.Image = c.resolveMedia(s.CoreOS.Image)
	s.CoreOS.Kernel = c.resolveMedia(s.CoreOS.Kernel)
	s.CoreOS.Initramfs = c.resolveMedia(s.CoreOS.Initramfs)
	s.CoreOS.Rootfs = c.resolveMedia(s.CoreOS.Rootfs)
	for i, f := range s.MachineConfigs {
		s.MachineConfigs[i] = c.resolve(f)
	}
	c.defaultNetwork()
	c.defaultBastion()
	if s.Registry.User == "" {
		s.Registry.User = "admin"
	}
	if s.Registry.Enabled == nil {
		s.Registry.Enabled = ptr(s.Registry.External == nil) // an external registry replaces the bastion's
	}
	if s.Registry.Mirror == nil {
		s.Registry.Mirror = ptr(*s.Registry.Enabled || s.Registry.External != nil)
	}
	c.defaultTimeouts()
	for i := range s.Nodes {
		n := &s.Nodes[i]
		if n.Disk == "" {
			n.Disk = "/dev/sda"
		}
		n.MAC = strings.ToLower(n.MAC)
	}
}

func (c *Cluster) defaultNetwork() {
	n := &c.Spec.Network
	if len(n.ClusterNetwork) == 0 {
		n.ClusterNetwork = []ClusterNetwork{{CIDR: "10.128.0.0/14", HostPrefix: 23}}
	}
	if len(n.ServiceNetwork) == 0 {
		n.ServiceNetwork = []string{"172.30.0.0/16"}
	}
	if n.Type == "" {
		if v, err := c.ReleaseVersion(); err == nil {
			n.Type = v.DefaultNetworkType()
		} else {
			n.Type = "OVNKubernetes"
		}
	}
	if n.Gateway == "" {
		n.Gateway = c.Spec.Bastion.IP
	}
}

func (c *Cluster) defaultBastion() {
	p := &c.Spec.Bastion.Ports
	d := DefaultPorts
	for _, f := range []struct {
		v   *int
		def int
	}{
		{&p.DNS, d.DNS}, {&p.API, d.API}, {&p.MachineConfig, d.MachineConfig},
		{&p.IngressHTTP, d.IngressHTTP}, {&p.IngressHTTPS, d.IngressHTTPS}, {&p.Ignition, d.Ignition},
		{&p.Registry, d.Registry}, {&p.Etcd, d.Etcd}, {&p.EtcdPeer, d.EtcdPeer}, {&p.Stats, d.Stats},
	} {
		if *f.v == 0 {
			*f.v = f.def
		}
	}
}

func (c *Cluster) defaultTimeouts() {
	t := &c.Spec.Timeouts
	for _, f := range []struct {
		v   *Duration
		def time.Duration
	}{
		{&t.API, DefaultAPITimeout}, {&t.Bootstrap, DefaultBootstrapTimeout},
		{&t.EtcdBootstrap, DefaultEtcdBootstrapTimeout}, {&t.Nodes, DefaultNodesTimeout},
		{&t.Install, DefaultInstallTimeout}, {&t.Settle, DefaultSettle},
	} {
		if f.v.Duration == 0 {
			f.v.Duration = f.def
		}
	}
}

// resolve makes a spec path absolute: ~ is the home directory, a relative
// path is relative to the spec file's directory.
func (c *Cluster) resolve(p string) string {
	if p == "" {
		return ""
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.Dir, p)
	}
	return filepath.Clean(p)
}

// resolveMedia resolves local media paths and leaves URLs alone.
func (c *Cluster) resolveMedia(p string) string {
	if strings.Contains(p, "://") {
		return p
	}
	return c.resolve(p)
}

// resolveTool resolves a tool given as a path; a bare name is found in PATH later.
func (c *Cluster) resolveTool(p string) string {
	if p == "" || !strings.Contains(p, "/") {
		return p
	}
	return c.resolve(p)
}

// IsURL reports whether s is an http(s) URL rather than a local path.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// ReleaseVersion is the release's x.y: spec.release.version, else the image tag.
func (c *Cluster) ReleaseVersion() (release.Version, error) {
	if c.Spec.Release.Version != "" {
		return release.Parse(c.Spec.Release.Version)
	}
	return release.FromImage(c.Spec.Release.Image)
}

func ptr[T any](v T) *T { return &v }
