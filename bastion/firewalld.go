package bastion

import (
	"encoding/json"
	"errors"
)

// FirewalldCall is busctl's argument list for one method of firewalld's
// zone interface (D-Bus: a few milliseconds, where each firewall-cmd starts
// Python for seconds). It never starts firewalld (--auto-start=no:
// Debian's package makes it D-Bus activatable), so a call fails when
// firewalld does not run.
func FirewalldCall(method string, args ...string) []string {
	return append([]string{"--json=short", "--auto-start=no", "call", "org.fedoraproject.FirewallD1",
		"/org/fedoraproject/FirewallD1", "org.fedoraproject.FirewallD1.zone", method, "s"}, args...)
}

// ParseFirewalldPorts reads busctl's answer to getPorts: the zone's
// runtime ports as firewalld names them ("53/udp").
func ParseFirewalldPorts(out []byte) ([]string, error) {
	var reply struct {
		Data [][][]string `json:"data"`
	}
	if err := json.Unmarshal(out, &reply); err != nil {
		return nil, err
	}
	if len(reply.Data) != 1 {
		return nil, errors.New("firewalld's getPorts answered no port list")
	}
	var ports []string
	for _, p := range reply.Data[0] {
		if len(p) == 2 {
			ports = append(ports, p[0]+"/"+p[1])
		}
	}
	return ports, nil
}

// ParseFirewalldZone reads busctl's answer to getZoneOfInterface ("" when
// the interface is bound to no zone: firewalld then uses its default zone).
func ParseFirewalldZone(out []byte) (string, error) {
	var reply struct {
		Data []string `json:"data"`
	}
	if err := json.Unmarshal(out, &reply); err != nil {
		return "", err
	}
	if len(reply.Data) != 1 {
		return "", errors.New("firewalld's getZoneOfInterface answered no zone")
	}
	return reply.Data[0], nil
}
