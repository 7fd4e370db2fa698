package spec

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/okdctl/okdctl/spec/release"
)

// network validates spec.network and returns the machine network (invalid
// when it could not be parsed).
func (v *validator) network(n *Network, ver release.Version, verOK bool) netip.Prefix {
	var machine netip.Prefix
	if n.MachineCIDR == "" {
		v.add("spec.network.machineCIDR", msgRequired)
	} else {
		machine, _ = v.prefix("spec.network.machineCIDR", n.MachineCIDR)
	}
	if gw, ok := v.addr("spec.network.gateway", n.Gateway); ok && machine.IsValid() && !machine.Contains(gw) {
		v.add("spec.network.gateway", msgOutsideCIDR, n.Gateway, n.MachineCIDR)
	} else if ok {
		v.hostAddr("spec.network.gateway", gw, machine)
	}
	type named struct {
		path string
		p    netip.Prefix
	}
	nets := []named{}
	if machine.IsValid() {
		nets = append(nets, named{"spec.network.machineCIDR", machine})
	}
	if len(n.ClusterNetwork) == 0 {
		v.add("spec.network.clusterNetwork", msgNeedOne)
	}
	for i, cn := range n.ClusterNetwork {
		path := fmt.Sprintf("spec.network.clusterNetwork[%d]", i)
		p, ok := v.prefix(path+".cidr", cn.CIDR)
		if !ok {
			continue
		}
		if cn.HostPrefix <= p.Bits() || cn.HostPrefix > 30 {
			v.add(path+".hostPrefix", msgHostPrefix, cn.HostPrefix, p.Bits())
		}
		nets = append(nets, named{path + ".cidr", p})
	}
	if len(n.ServiceNetwork) == 0 {
		v.add("spec.network.serviceNetwork", msgNeedOne)
	}
	for i, s := range n.ServiceNetwork {
		path := fmt.Sprintf("spec.network.serviceNetwork[%d]", i)
		if p, ok := v.prefix(path, s); ok {
			nets = append(nets, named{path, p})
		}
	}
	for i := 0; i < len(nets); i++ {
		for j := i + 1; j < len(nets); j++ {
			if nets[i].p.Overlaps(nets[j].p) {
				v.add(nets[j].path, msgOverlap, nets[j].p, nets[i].path, nets[i].p)
			}
		}
	}
	switch {
	case n.Type != "OVNKubernetes" && n.Type != "OpenShiftSDN":
		v.add("spec.network.type", msgNetworkType, n.Type)
	case verOK && !ver.SupportsNetworkType(n.Type):
		v.add("spec.network.type", msgNetworkRelease, n.Type, ver)
	}
	for i, s := range n.UpstreamDNS {
		if net.ParseIP(s) == nil {
			v.add(fmt.Sprintf("spec.network.upstreamDNS[%d]", i), msgUpstreamDNS, s)
		}
	}
	return machine
}

func (v *validator) bastion(b *Bastion, machine netip.Prefix) {
	if ip, ok := v.addr("spec.bastion.ip", b.IP); ok && machine.IsValid() && !machine.Contains(ip) {
		v.add("spec.bastion.ip", msgOutsideCIDR, b.IP, machine)
	} else if ok {
		v.hostAddr("spec.bastion.ip", ip, machine)
	}
	seen := map[int]string{}
	for _, p := range b.Ports.List() {
		path := "spec.bastion.ports." + p.Name
		if p.Port < 1 || p.Port > 65535 {
			v.add(path, msgPort, p.Port)
			continue
		}
		if other, dup := seen[p.Port]; dup {
			v.add(path, msgPortCollision, p.Port, other)
			continue
		}
		seen[p.Port] = p.Name
	}
}

// NamedPort is one bastion port with its spec field name.
type NamedPort struct {
	Name string
	Port int
}

// List names every bastion port, in spec order.
func (p Ports) List() []NamedPort {
	return []NamedPort{{"dns", p.DNS}, {"api", p.API}, {"machineConfig", p.MachineConfig},
		{"ingressHTTP", p.IngressHTTP}, {"ingressHTTPS", p.IngressHTTPS}, {"ignition", p.Ignition},
		{"registry", p.Registry}, {"etcd", p.Etcd}, {"etcdPeer", p.EtcdPeer}, {"stats", p.Stats}}
}

func (v *validator) registry(s *ClusterSpec) {
	if s.RegistryEnabled() && !userRE.MatchString(s.Registry.User) {
		v.add("spec.registry.user", msgRegistryUser, s.Registry.User)
	}
	if !s.UsesRegistry() && s.Registry.Mirror != nil && *s.Registry.Mirror {
		v.add("spec.registry.mirror", msgMirrorNoReg)
	}
}

func (v *validator) nodes(c *Cluster, machine netip.Prefix) {
	s := &c.Spec
	if len(s.Nodes) == 0 {
		v.add("spec.nodes", msgNeedOne+": list the bootstrap, master and worker machines")
		return
	}
	names, ips, macs := map[string]int{}, map[netip.Addr]int{}, map[string]int{}
	bastionIP, _ := netip.ParseAddr(s.Bastion.IP)
	gateway, _ := netip.ParseAddr(s.Network.Gateway)
	for i, n := range s.Nodes {
		path := fmt.Sprintf("spec.nodes[%d]", i)
		if v.dnsLabel(path+".name", n.Name) {
			v.unique(path+".name", n.Name, names, i)
			for _, r := range ReservedNodeNames(c) {
				if n.Name == r {
					v.add(path+".name", msgReservedName, n.Name, r, c.ClusterDomain())
				}
			}
		}
		if n.Role != RoleBootstrap && n.Role != RoleMaster && n.Role != RoleWorker {
			v.add(path+".role", msgRole, n.Role)
		}
		if ip, ok := v.addr(path+".ip", n.IP); ok {
			v.nodeIP(path+".ip", ip, machine, bastionIP, gateway)
			if j, dup := ips[ip]; dup {
				v.add(path+".ip", msgDuplicate, n.IP, j)
			} else {
				ips[ip] = i
			}
		}
		v.nodeHardware(path, n, macs, i)
	}
	v.roles(s)
}

func (v *validator) unique(path, val string, seen map[string]int, i int) {
	if j, dup := seen[val]; dup {
		v.add(path, msgDuplicate, val, j)
		return
	}
	seen[val] = i
}

func (v *validator) nodeIP(path string, ip netip.Addr, machine netip.Prefix, bastion, gateway netip.Addr) {
	switch {
	case machine.IsValid() && !machine.Contains(ip):
		v.add(path, msgOutsideCIDR, ip, machine)
	case ip == bastion:
		v.add(path, msgBastionIP, ip)
	case ip == gateway:
		v.add(path, msgGatewayIP, ip)
	default:
		v.hostAddr(path, ip, machine)
	}
}

func (v *validator) nodeHardware(path string, n Node, macs map[string]int, i int) {
	if n.MAC != "" {
		if hw, err := net.ParseMAC(n.MAC); err != nil || len(hw) != 6 {
			v.add(path+".mac", msgMAC, n.MAC)
		} else {
			v.unique(path+".mac", hw.String(), macs, i)
		}
	}
	v.diskAndNIC(path, n)
}

func (v *validator) roles(s *ClusterSpec) {
	switch b := len(s.NodesWithRole(RoleBootstrap)); {
	case b == 0:
		v.add("spec.nodes", msgBootstrapNone)
	case b > 1:
		v.add("spec.nodes", msgBootstrapMany, b)
	}
	switch m := len(s.NodesWithRole(RoleMaster)); {
	case m == 0:
		v.add("spec.nodes", msgMastersNone)
	case m%2 == 0:
		v.add("spec.nodes", msgMastersEven, m)
	}
}
