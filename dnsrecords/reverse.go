package dnsrecords

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// ReverseZones are the in-addr.arpa / ip6.arpa zones CoreDNS answers PTRs
// for: those of in.Networks (widened to octet or nibble boundaries, so a /22
// is four /24 zones) and the /24 (/64 for IPv6) of any record address
// outside them. Subzones of another zone are dropped; the list is sorted.
func ReverseZones(in Input) ([]string, error) {
	var zones []string
	for _, c := range in.Networks {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("the network %q is not a CIDR: %w", c, err)
		}
		zones = append(zones, prefixZones(p.Masked())...)
	}
	for _, ip := range in.addresses() {
		if !covered(zones, ip) {
			bits := 24
			if ip.Is6() {
				bits = 64
			}
			zones = append(zones, prefixZones(netip.PrefixFrom(ip, bits).Masked())...)
		}
	}
	return dropSubzones(zones), nil
}

// addresses are the addresses that get PTR records.
func (in Input) addresses() []netip.Addr {
	ips := []string{in.BastionIP, in.apiIP(), in.apiIntIP()}
	for _, n := range in.Nodes {
		ips = append(ips, n.IP)
	}
	var out []netip.Addr
	for _, s := range ips {
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, a.Unmap())
		}
	}
	return out
}

func covered(zones []string, ip netip.Addr) bool {
	name := strings.TrimSuffix(ReverseName(ip), ".")
	for _, z := range zones {
		if strings.HasSuffix(name, "."+z) {
			return true
		}
	}
	return false
}

// prefixZones widens p to the next label boundary (8 bits for IPv4, 4 for
// IPv6) and names every zone it spans: a /22 is four /24 zones.
func prefixZones(p netip.Prefix) []string {
	step := 8
	if p.Addr().Is6() {
		step = 4
	}
	bits := (p.Bits() + step - 1) / step * step
	sub := netip.PrefixFrom(p.Addr(), bits)
	out := []string{zoneOf(sub)}
	for i := 1; i < 1<<(bits-p.Bits()); i++ {
		sub = nextPrefix(sub)
		out = append(out, zoneOf(sub))
	}
	return out
}

func nextPrefix(p netip.Prefix) netip.Prefix {
	a := p.Addr().AsSlice()
	bit := p.Bits() - 1
	for i := bit; i >= 0; i-- {
		byteI, mask := i/8, byte(0x80>>(i%8))
		if a[byteI]&mask == 0 {
			a[byteI] |= mask
			addr, _ := netip.AddrFromSlice(a)
			return netip.PrefixFrom(addr, p.Bits())
		}
		a[byteI] &^= mask
	}
	return netip.Prefix{}
}

// zoneOf is the reverse zone of a prefix on a label boundary.
func zoneOf(p netip.Prefix) string {
	name := strings.TrimSuffix(ReverseName(p.Addr()), ".")
	labels := strings.Split(name, ".")
	per := 8
	if p.Addr().Is6() {
		per = 4
	}
	hostLabels := (p.Addr().BitLen() - p.Bits()) / per
	return strings.Join(labels[hostLabels:], ".")
}

func dropSubzones(zones []string) []string {
	slices.Sort(zones)
	zones = slices.Compact(zones)
	var out []string
	for _, z := range zones {
		sub := false
		for _, o := range zones {
			if o != z && strings.HasSuffix(z, "."+o) {
				sub = true
			}
		}
		if !sub {
			out = append(out, z)
		}
	}
	return out
}
