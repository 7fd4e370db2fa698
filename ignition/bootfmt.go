package ignition

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Boot output formats.
const (
	FormatText = "text"
	FormatJSON = "json"
	FormatIPXE = "ipxe"
	FormatPXE  = "pxe"
	FormatGRUB = "grub"
)

// Formats lists the boot output formats.
var Formats = []string{FormatText, FormatJSON, FormatIPXE, FormatPXE, FormatGRUB, FormatISOCustomize}

// Record is one node in `okdctl boot -o json`. ImageURL is empty when the
// node installs the live media's own image.
type Record struct {
	Name            string `json:"name"`
	Role            string `json:"role"`
	FQDN            string `json:"fqdn"`
	IP              string `json:"ip"`
	MAC             string `json:"mac,omitempty"`
	KernelArgs      string `json:"kernelArgs"`
	IgnitionURL     string `json:"ignitionURL"`
	IgnitionHash    string `json:"ignitionHash"`
	ImageURL        string `json:"imageURL"`
	CoreOSInstaller string `json:"coreosInstaller"`
}

// NewRecord builds a node's JSON record.
func NewRecord(b Boot) Record {
	return Record{Name: b.Name, Role: b.Role, FQDN: b.FQDN, IP: b.IP, MAC: b.MAC,
		KernelArgs: KernelArgs(b), IgnitionURL: b.IgnitionURL, IgnitionHash: b.IgnitionHash,
		ImageURL: b.ImageURL, CoreOSInstaller: InstallCommand(b)}
}

// Render renders the nodes' boot artifacts in one format.
func Render(format string, boots []Boot) ([]byte, error) {
	for _, b := range boots {
		if err := b.check(); err != nil {
			return nil, err
		}
	}
	switch format {
	case FormatText, "":
		return RenderText(boots), nil
	case FormatJSON:
		return RenderJSON(boots)
	case FormatIPXE:
		return RenderIPXE(boots)
	case FormatPXE:
		return RenderPXE(boots)
	case FormatGRUB:
		return RenderGRUB(boots)
	case FormatISOCustomize:
		return RenderISOCustomize(boots), nil
	}
	return nil, fmt.Errorf("unknown boot format %q: use one of %s", format, strings.Join(Formats, ", "))
}

// RenderText prints, per node, the kernel arguments and the coreos-installer
// command, for people at a boot prompt.
func RenderText(boots []Boot) []byte {
	var b strings.Builder
	noHash := false
	for i, n := range boots {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "# %s (%s) %s %s\n", n.Name, n.Role, n.FQDN, n.IP)
		b.WriteString("kernel arguments (append at the live media's boot prompt):\n")
		fmt.Fprintf(&b, "  %s\n", KernelArgs(n))
		b.WriteString("or, from a shell on the live system:\n")
		fmt.Fprintf(&b, "  %s\n", InstallCommand(n))
		noHash = noHash || n.IgnitionHash == ""
	}
	if noHash {
		b.WriteString("\n# a command without --ignition-hash has no published ignition to check: the hash\n" +
			"# appears once `okdctl apply` has run the ignition phase; print the commands again then.\n")
	}
	return []byte(b.String())
}

// RenderJSON is the JSON array of the nodes' records.
func RenderJSON(boots []Boot) ([]byte, error) {
	recs := make([]Record, 0, len(boots))
	for _, b := range boots {
		recs = append(recs, NewRecord(b))
	}
	out, err := json.MarshalIndent(recs, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("failed to encode boot records: %w", err)
	}
	return append(out, '\n'), nil
}

func checkPXEMedia(boots []Boot) error {
	for _, b := range boots {
		if !b.HasPXEMedia() {
			return ErrNoPXEMedia
		}
	}
	return nil
}

// RenderIPXE is an iPXE script. For one node it boots that node; for several
// it picks the node by MAC and otherwise waits at a menu (never installing a
// machine it does not recognise).
func RenderIPXE(boots []Boot) ([]byte, error) {
	if err := checkPXEMedia(boots); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("#!ipxe\n")
	if len(boots) == 1 {
		fmt.Fprintf(&b, "# okdctl: %s (%s, %s)\n", boots[0].Name, boots[0].Role, boots[0].FQDN)
		writeIPXEEntry(&b, boots[0])
		return []byte(b.String()), nil
	}
	b.WriteString("# okdctl: nodes are chosen by MAC, others wait at the menu\n")
	for _, n := range boots {
		if n.MAC != "" {
			fmt.Fprintf(&b, "iseq ${net0/mac} %s && goto %s ||\n", n.MAC, n.Name)
		}
	}
	b.WriteString("menu okdctl: choose the node this machine becomes\n")
	for _, n := range boots {
		fmt.Fprintf(&b, "item %s %s (%s, %s)\n", n.Name, n.FQDN, n.Role, n.IP)
	}
	b.WriteString("choose node || goto cancel\ngoto ${node}\n")
	for _, n := range boots {
		fmt.Fprintf(&b, "\n:%s\n", n.Name)
		writeIPXEEntry(&b, n)
	}
	b.WriteString("\n:cancel\necho okdctl: no node chosen\nexit 1\n")
	return []byte(b.String()), nil
}

func writeIPXEEntry(b *strings.Builder, n Boot) {
	fmt.Fprintf(b, "kernel %s initrd=main %s\n", n.KernelURL, LiveKernelArgs(n))
	fmt.Fprintf(b, "initrd --name main %s\nboot\n", n.InitramfsURL)
}

// PXEFiles are the pxelinux configs, one per node with a MAC, keyed by
// pxelinux.cfg file name (01-aa-bb-...). The kernel and initramfs are HTTP
// URLs, which pxelinux loads with lpxelinux.0.
func PXEFiles(boots []Boot) (map[string][]byte, error) {
	if err := checkPXEMedia(boots); err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, n := range boots {
		if n.MAC == "" {
			continue
		}
		files[PXEName(n.MAC)] = []byte(fmt.Sprintf("# okdctl: %s (%s, %s, %s); needs lpxelinux.0 for HTTP\n"+
			"DEFAULT %s\nPROMPT 0\nTIMEOUT 0\nLABEL %s\n  KERNEL %s\n  APPEND initrd=%s %s\n",
			n.Name, n.Role, n.FQDN, n.IP, n.Name, n.Name, n.KernelURL, n.InitramfsURL, LiveKernelArgs(n)))
	}
	return files, nil
}

// RenderPXE prints every node's pxelinux config under its file name.
func RenderPXE(boots []Boot) ([]byte, error) {
	files, err := PXEFiles(boots)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	var without []string
	for _, n := range boots {
		if n.MAC == "" {
			without = append(without, n.Name)
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "# file: pxelinux.cfg/%s\n%s", PXEName(n.MAC), files[PXEName(n.MAC)])
	}
	if len(without) > 0 && b.Len() == 0 {
		return nil, fmt.Errorf("pxelinux configs are chosen by MAC and %s has none: set spec.nodes[].mac", strings.Join(without, ", "))
	}
	if len(without) > 0 {
		fmt.Fprintf(&b, "\n# no pxelinux config for %s: no MAC in the spec (set spec.nodes[].mac)\n", strings.Join(without, ", "))
	}
	return []byte(b.String()), nil
}

// RenderGRUB is a grub.cfg for UEFI network boots: a menu entry per node,
// chosen by MAC when known; an unknown machine waits at the menu.
func RenderGRUB(boots []Boot) ([]byte, error) {
	if err := checkPXEMedia(boots); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("# okdctl: UEFI network boot menu; a known MAC boots its node, others wait\nset timeout=-1\n")
	for _, n := range boots {
		if n.MAC != "" {
			fmt.Fprintf(&b, "if [ \"${net_default_mac}\" = \"%s\" ]; then set default=%s; set timeout=5; fi\n", n.MAC, n.Name)
		}
	}
	for _, n := range boots {
		kernel, err := grubPath(n.KernelURL)
		if err != nil {
			return nil, err
		}
		initrd, err := grubPath(n.InitramfsURL)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "\nmenuentry '%s: %s (%s, %s)' --id %s {\n\tlinux %s %s\n\tinitrd %s\n}\n",
			n.Name, n.FQDN, n.Role, n.IP, n.Name, kernel, LiveKernelArgs(n), initrd)
	}
	return []byte(b.String()), nil
}

// grubPath turns http://host:port/path into GRUB's (http,host:port)/path.
func grubPath(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return "", fmt.Errorf("GRUB loads media over plain HTTP only, and %q is not an http:// URL", raw)
	}
	return fmt.Sprintf("(http,%s)%s", u.Host, u.EscapedPath()), nil
}
