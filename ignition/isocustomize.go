package ignition

import (
	"fmt"
	"strings"
)

// FormatISOCustomize is the boot format that makes one live ISO per node
// with `coreos-installer iso customize`: booted, it installs the node with
// its ignition and static network, nothing typed at a boot prompt.
const FormatISOCustomize = "iso-customize"

// CoreOSInstallerVersion is the coreos-installer whose `iso customize`
// flags the script uses (the command exists since 0.12.0).
const CoreOSInstallerVersion = "0.26.0"

// RenderISOCustomize is a shell script that, per node, writes the node's
// NetworkManager keyfile, fetches its ignition from the bastion (checked
// against its sha512 once known), and runs `coreos-installer iso customize`
// with --dest-ignition, --dest-device and --network-keyfile (which also
// carries the static address to the installed system: no
// --dest-karg-append is needed), writing <node>.iso from $LIVE_ISO.
func RenderISOCustomize(boots []Boot) []byte {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	fmt.Fprintf(&b, "# One live ISO per node (coreos-installer %s `iso customize`): boot it and the node\n", CoreOSInstallerVersion)
	b.WriteString("# installs itself. LIVE_ISO is the CoreOS live ISO of your release (the `iso` of\n")
	b.WriteString("# `openshift-install coreos print-stream-json`). Run it where the bastion's web server answers.\n")
	b.WriteString("set -eu\n: \"${LIVE_ISO:?set LIVE_ISO to the CoreOS live ISO}\"\n")
	for _, n := range boots {
		writeISOCustomizeNode(&b, n)
	}
	return []byte(b.String())
}

func writeISOCustomizeNode(b *strings.Builder, n Boot) {
	fmt.Fprintf(b, "\n# %s (%s) %s %s, installed to %s\n", n.Name, n.Role, n.FQDN, n.IP, n.disk())
	fmt.Fprintf(b, "cat > %s.nmconnection <<'OKDCTL_EOF'\n%sOKDCTL_EOF\n", n.Name, n.Keyfile)
	fmt.Fprintf(b, "curl -fsS -o %s.ign %s\n", n.Name, n.IgnitionURL)
	if hex, ok := strings.CutPrefix(n.IgnitionHash, "sha512-"); ok {
		fmt.Fprintf(b, "echo '%s  %s.ign' | sha512sum -c --quiet -\n", hex, n.Name)
	} else {
		b.WriteString("# no ignition hash yet (okdctl apply has not made the ignition): the file is not checked\n")
	}
	fmt.Fprintf(b, "coreos-installer iso customize --dest-ignition %[1]s.ign --dest-device %[2]s --network-keyfile %[1]s.nmconnection -f -o %[1]s.iso \"$LIVE_ISO\"\n",
		n.Name, n.disk())
}
