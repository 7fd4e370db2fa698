package installer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
)

// FileHostAccess records the firewalld ports, SELinux port labels and
// booleans okdctl added (state directory): `okdctl down` removes exactly those, never what
// the bastion had before.
const FileHostAccess = "host-access.json"

// hostChanges is what okdctl added to the bastion's firewalld and SELinux.
type hostChanges struct {
	// Firewalld are the "8080/tcp" entries added, by zone: a link moved
	// to another zone between runs has ports in both.
	Firewalld []zonePorts `json:"firewalld,omitempty"`
	// LegacyPorts and LegacyZone are the record of okdctl before zones
	// were kept apart (one zone); read into Firewalld.
	LegacyPorts []string `json:"firewalldPorts,omitempty"`
	LegacyZone  string   `json:"firewalldZone,omitempty"`
	// SELinuxHTTPPorts are TCP ports okdctl labelled http_port_t.
	SELinuxHTTPPorts []int `json:"selinuxHTTPPorts,omitempty"`
	// SELinuxBooleans are booleans okdctl switched on (they were off):
	// `okdctl down --purge` switches them off again.
	SELinuxBooleans []string `json:"selinuxBooleans,omitempty"`
}

// zonePorts are ports okdctl opened in one firewalld zone ("": the
// default zone).
type zonePorts struct {
	Zone  string   `json:"zone,omitempty"`
	Ports []string `json:"ports"`
}

// addFirewalld records ports opened in zone.
func (c *hostChanges) addFirewalld(zone string, ports ...string) {
	for i := range c.Firewalld {
		if c.Firewalld[i].Zone == zone {
			c.Firewalld[i].Ports = append(c.Firewalld[i].Ports, ports...)
			return
		}
	}
	c.Firewalld = append(c.Firewalld, zonePorts{Zone: zone, Ports: ports})
}

// portsIn are every port of zones.
func portsIn(zones []zonePorts) []string {
	var out []string
	for _, z := range zones {
		out = append(out, z.Ports...)
	}
	return out
}

func readHostChanges(rc *RunContext) (hostChanges, error) {
	var c hostChanges
	data, err := rc.Host().Files.ReadFile(rc.StatePath(FileHostAccess))
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err == nil {
		err = json.Unmarshal(data, &c)
	}
	if err != nil {
		return c, fmt.Errorf("failed to read %s: %w", rc.StatePath(FileHostAccess), err)
	}
	if len(c.LegacyPorts) > 0 {
		c.addFirewalld(c.LegacyZone, c.LegacyPorts...)
	}
	c.LegacyPorts, c.LegacyZone = nil, ""
	return c, nil
}

// recordHostChange notes an addition (or, in down, a removal).
func recordHostChange(rc *RunContext, change func(*hostChanges)) error {
	c, err := readHostChanges(rc)
	if err != nil {
		return err
	}
	change(&c)
	var zones []zonePorts
	for _, z := range c.Firewalld {
		slices.Sort(z.Ports)
		if z.Ports = slices.Compact(z.Ports); len(z.Ports) > 0 {
			zones = append(zones, z)
		}
	}
	c.Firewalld = zones
	slices.Sort(c.SELinuxHTTPPorts)
	c.SELinuxHTTPPorts = slices.Compact(c.SELinuxHTTPPorts)
	slices.Sort(c.SELinuxBooleans)
	c.SELinuxBooleans = slices.Compact(c.SELinuxBooleans)
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	_, err = rc.Host().Files.WriteFile(rc.StatePath(FileHostAccess), append(data, '\n'), 0o644)
	return err
}
