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
	// FirewalldPorts are "8080/tcp" entries added to FirewalldZone (""
	// is the default zone).
	FirewalldPorts []string `json:"firewalldPorts,omitempty"`
	FirewalldZone  string   `json:"firewalldZone,omitempty"`
	// SELinuxHTTPPorts are TCP ports okdctl labelled http_port_t.
	SELinuxHTTPPorts []int `json:"selinuxHTTPPorts,omitempty"`
	// SELinuxBooleans are booleans okdctl switched on (they were off):
	// `okdctl down --purge` switches them off again.
	SELinuxBooleans []string `json:"selinuxBooleans,omitempty"`
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
	return c, nil
}

// recordHostChange notes an addition (or, in down, a removal).
func recordHostChange(rc *RunContext, change func(*hostChanges)) error {
	c, err := readHostChanges(rc)
	if err != nil {
		return err
	}
	change(&c)
	slices.Sort(c.FirewalldPorts)
	c.FirewalldPorts = slices.Compact(c.FirewalldPorts)
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
