package vmnode

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Debian's boot loaders a site's own PXE infrastructure serves over TFTP
// (`make tools`: pxelinux, syslinux-common, grub-efi-amd64-signed,
// grub-efi-amd64-bin).
const (
	// PXELinux loads its config over TFTP and kernels over HTTP too.
	PXELinux = "/usr/lib/PXELINUX/lpxelinux.0"
	LDLinux  = "/usr/lib/syslinux/modules/bios/ldlinux.c32"
	// GRUBNet is Debian's signed network GRUB (grubnetx64.efi): its
	// prefix is /grub, so it reads grub/grub.cfg from the TFTP server it
	// came from and loads modules (http.mod) from grub/x86_64-efi.
	GRUBNet     = "/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed"
	GRUBModules = "/usr/lib/grub/x86_64-efi"
)

// Names of the loaders in SiteTFTPRoot.
const (
	SitePXELinux = "lpxelinux.0"
	SiteGRUB     = "grubx64.efi"
	SiteGRUBCfg  = "grub/grub.cfg"
)

// SiteTFTPRoot fills dir the way a site's TFTP server is laid out for
// pxelinux (lpxelinux.0, ldlinux.c32) and GRUB (grubx64.efi, grub/x86_64-efi/
// with GRUB's modules), plus files (a path under dir -> content): the
// pxelinux.cfg/ and grub/grub.cfg files `okdctl boot` prints.
func SiteTFTPRoot(dir string, files map[string][]byte) error {
	copies := map[string]string{SitePXELinux: PXELinux, "ldlinux.c32": LDLinux, SiteGRUB: GRUBNet}
	mods, _ := filepath.Glob(filepath.Join(GRUBModules, "*.mod"))
	lsts, _ := filepath.Glob(filepath.Join(GRUBModules, "*.lst"))
	if len(mods) == 0 {
		return fmt.Errorf("no GRUB modules in %s: run `make tools` (grub-efi-amd64-bin)", GRUBModules)
	}
	for _, m := range append(mods, lsts...) {
		copies["grub/x86_64-efi/"+filepath.Base(m)] = m
	}
	all := map[string][]byte{}
	for name, src := range copies {
		data, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("failed to read the site's boot loader: %w (run `make tools`: pxelinux, syslinux-common, grub-efi-amd64-signed, grub-efi-amd64-bin)", err)
		}
		all[name] = data
	}
	for name, data := range files {
		all[name] = data
	}
	for name, data := range all {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// PXELinuxFiles splits `okdctl boot -o pxe` output into its files, keyed
// by path (pxelinux.cfg/01-<mac>), the way a person copies them to a
// TFTP server: each starts at its "# file: " line and ends at a blank line.
func PXELinuxFiles(text string) map[string][]byte {
	files := map[string][]byte{}
	var name string
	var b strings.Builder
	flush := func() {
		if name != "" {
			files[name] = []byte(b.String())
		}
		name = ""
		b.Reset()
	}
	for _, l := range strings.SplitAfter(text, "\n") {
		switch {
		case strings.HasPrefix(l, "# file: "):
			flush()
			name = strings.TrimSpace(strings.TrimPrefix(l, "# file: "))
		case strings.TrimSpace(l) == "":
			flush()
		case name != "":
			b.WriteString(l)
		}
	}
	flush()
	return files
}
