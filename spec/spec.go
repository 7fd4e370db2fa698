package spec

// APIVersion and Kind identify a cluster spec.
const (
	APIVersion = "okdctl/v1alpha1"
	Kind       = "Cluster"
)

// Cluster is the cluster spec: one file naming the cluster and its machines.
type Cluster struct {
	APIVersion string      `yaml:"apiVersion" json:"apiVersion"`
	Kind       string      `yaml:"kind" json:"kind"`
	Metadata   Metadata    `yaml:"metadata" json:"metadata"`
	Spec       ClusterSpec `yaml:"spec" json:"spec"`

	// File is the spec's absolute path; Dir its directory (relative paths
	// resolve against it). Neither is part of the YAML.
	File string `yaml:"-" json:"-"`
	Dir  string `yaml:"-" json:"-"`
}

// Metadata names the cluster.
type Metadata struct {
	Name string `yaml:"name" json:"name"`
}

// ClusterSpec is everything okdctl derives the cluster from.
type ClusterSpec struct {
	BaseDomain     string   `yaml:"baseDomain" json:"baseDomain"`
	Release        Release  `yaml:"release" json:"release"`
	CoreOS         CoreOS   `yaml:"coreos" json:"coreos"`
	InstallDir     string   `yaml:"installDir" json:"installDir"`
	SSHKeyFile     string   `yaml:"sshKeyFile" json:"sshKeyFile"`
	PullSecretFile string   `yaml:"pullSecretFile,omitempty" json:"pullSecretFile,omitempty"`
	FIPS           bool     `yaml:"fips,omitempty" json:"fips,omitempty"`
	Network        Network  `yaml:"network" json:"network"`
	Bastion        Bastion  `yaml:"bastion" json:"bastion"`
	Registry       Registry `yaml:"registry" json:"registry"`
	// DNS and LoadBalancer say whether the bastion serves them or the site
	// does (see infra.go); empty: the bastion.
	DNS          DNS          `yaml:"dns,omitempty" json:"dns,omitempty"`
	LoadBalancer LoadBalancer `yaml:"loadBalancer,omitempty" json:"loadBalancer,omitempty"`
	// PXE is DHCP and TFTP on the bastion (see pxe.go); off when empty.
	PXE PXE `yaml:"pxe,omitempty" json:"pxe,omitempty"`
	// OpenShiftInstall is the openshift-install binary (default: from PATH).
	OpenShiftInstall string   `yaml:"openshiftInstall,omitempty" json:"openshiftInstall,omitempty"`
	MachineConfigs   []string `yaml:"machineConfigs" json:"machineConfigs"`
	Timeouts         Timeouts `yaml:"timeouts" json:"timeouts"`
	Nodes            []Node   `yaml:"nodes" json:"nodes"`
}

// Release is the OKD / OpenShift release to install.
type Release struct {
	Image string `yaml:"image" json:"image"`
	// Version is x.y; when empty it is taken from the image tag.
	Version string `yaml:"version,omitempty" json:"version,omitempty"`
}

// CoreOS is the operating system media the bastion hosts.
type CoreOS struct {
	Image string `yaml:"image" json:"image"`
	// ImageSHA256 verifies a downloaded image when given.
	ImageSHA256 string `yaml:"imageSHA256,omitempty" json:"imageSHA256,omitempty"`
	// InstallFromBastion adds coreos.inst.image_url (the bastion's image)
	// to the boot line instead of installing from the live media.
	InstallFromBastion bool   `yaml:"installFromBastion,omitempty" json:"installFromBastion,omitempty"`
	Kernel             string `yaml:"kernel,omitempty" json:"kernel,omitempty"`
	Initramfs          string `yaml:"initramfs,omitempty" json:"initramfs,omitempty"`
	Rootfs             string `yaml:"rootfs,omitempty" json:"rootfs,omitempty"`
}

// Network is the machine network and the cluster's internal networks.
type Network struct {
	MachineCIDR    string           `yaml:"machineCIDR" json:"machineCIDR"`
	Gateway        string           `yaml:"gateway" json:"gateway"`
	ClusterNetwork []ClusterNetwork `yaml:"clusterNetwork" json:"clusterNetwork"`
	ServiceNetwork []string         `yaml:"serviceNetwork" json:"serviceNetwork"`
	Type           string           `yaml:"type" json:"type"`
	UpstreamDNS    []string         `yaml:"upstreamDNS" json:"upstreamDNS"`
}

// ClusterNetwork is one pod network block.
type ClusterNetwork struct {
	CIDR       string `yaml:"cidr" json:"cidr"`
	HostPrefix int    `yaml:"hostPrefix" json:"hostPrefix"`
}

// Bastion is the host okdctl runs on and whose services the nodes use.
type Bastion struct {
	IP    string `yaml:"ip" json:"ip"`
	Ports Ports  `yaml:"ports" json:"ports"`
}

// Ports are the bastion services' ports.
type Ports struct {
	DNS           int `yaml:"dns" json:"dns"`
	API           int `yaml:"api" json:"api"`
	MachineConfig int `yaml:"machineConfig" json:"machineConfig"`
	IngressHTTP   int `yaml:"ingressHTTP" json:"ingressHTTP"`
	IngressHTTPS  int `yaml:"ingressHTTPS" json:"ingressHTTPS"`
	Ignition      int `yaml:"ignition" json:"ignition"`
	Registry      int `yaml:"registry" json:"registry"`
	Etcd          int `yaml:"etcd" json:"etcd"`
	EtcdPeer      int `yaml:"etcdPeer" json:"etcdPeer"`
	Stats         int `yaml:"stats" json:"stats"`
}

// Registry is the mirror registry: the bastion's own, or a site's (External).
type Registry struct {
	Enabled *bool  `yaml:"enabled" json:"enabled"`
	User    string `yaml:"user" json:"user"`
	Mirror  *bool  `yaml:"mirror" json:"mirror"`
	// AllArchitectures mirrors every architecture of a multi-arch release
	// (an index); by default only the cluster's (the bastion's) is.
	AllArchitectures bool `yaml:"allArchitectures,omitempty" json:"allArchitectures,omitempty"`
	// External is a site's registry okdctl mirrors into instead of running its own.
	External *ExternalRegistry `yaml:"external,omitempty" json:"external,omitempty"`
}

// Timeouts bound the long waits (Go durations such as "20m").
type Timeouts struct {
	API           Duration `yaml:"api" json:"api"`
	Bootstrap     Duration `yaml:"bootstrap" json:"bootstrap"`
	EtcdBootstrap Duration `yaml:"etcdBootstrap" json:"etcdBootstrap"`
	Nodes         Duration `yaml:"nodes" json:"nodes"`
	Install       Duration `yaml:"install" json:"install"`
	// Settle is how long a change to an operator's resource must hold
	// before the scale phase counts it.
	Settle Duration `yaml:"settle" json:"settle"`
}

// Node is one machine of the cluster.
type Node struct {
	Name string `yaml:"name" json:"name"`
	Role string `yaml:"role" json:"role"`
	IP   string `yaml:"ip" json:"ip"`
	NIC  string `yaml:"nic,omitempty" json:"nic,omitempty"`
	Disk string `yaml:"disk,omitempty" json:"disk,omitempty"`
	MAC  string `yaml:"mac,omitempty" json:"mac,omitempty"`
}

// Node roles.
const (
	RoleBootstrap = "bootstrap"
	RoleMaster    = "master"
	RoleWorker    = "worker"
)

// RegistryEnabled reports whether the bastion runs a mirror registry (not
// with an external one).
func (s *ClusterSpec) RegistryEnabled() bool {
	return s.Registry.External == nil && (s.Registry.Enabled == nil || *s.Registry.Enabled)
}

// UsesRegistry reports whether the cluster pulls through a mirror registry,
// the bastion's or an external one.
func (s *ClusterSpec) UsesRegistry() bool { return s.RegistryEnabled() || s.Registry.External != nil }

// MirrorEnabled reports whether the release is mirrored into the registry.
func (s *ClusterSpec) MirrorEnabled() bool {
	return s.UsesRegistry() && (s.Registry.Mirror == nil || *s.Registry.Mirror)
}

// NodesWithRole lists the nodes of one role, in spec order.
func (s *ClusterSpec) NodesWithRole(role string) []Node {
	var out []Node
	for _, n := range s.Nodes {
		if n.Role == role {
			out = append(out, n)
		}
	}
	return out
}

// ClusterDomain is <name>.<baseDomain>.
func (c *Cluster) ClusterDomain() string {
	return c.Metadata.Name + "." + c.Spec.BaseDomain
}

// FQDN is a node's fully qualified name: <node>.<cluster>.<baseDomain>.
func (c *Cluster) FQDN(n Node) string {
	return n.Name + "." + c.ClusterDomain()
}
