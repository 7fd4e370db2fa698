package installer

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/okdctl/okdctl/ignition"
)

// BootPhase is the boot phase: each node's boot line, coreos-installer command, iPXE, PXE and GRUB entries.
// They are written under the state directory (DirBoot) and the text form is
// printed; `okdctl boot` prints the same from the spec alone.
type BootPhase struct{}

var (
	_ InputProvider = (*BootPhase)(nil)
	_ Checker       = (*BootPhase)(nil)
	_ Reporter      = (*BootPhase)(nil)
)

// Name implements Phase.
func (*BootPhase) Name() string { return PhaseBoot }

// Inputs implements InputProvider: the artifacts themselves.
func (p *BootPhase) Inputs(rc *RunContext) (any, error) {
	files, err := bootFiles(rc)
	if err != nil {
		return nil, err
	}
	sums := map[string]string{}
	for name, data := range files {
		sums[name] = sha256Hex(data)
	}
	if pxeServed(rc) {
		sums["pxe"] = fmt.Sprintf("%+v %s", pxeInput(rc), ipxeDir(rc.Spec()))
	}
	return sums, nil
}

// Done implements Checker: every artifact is on disk as rendered.
func (p *BootPhase) Done(ctx context.Context, rc *RunContext) (bool, error) {
	files, err := bootFiles(rc)
	if err != nil {
		return false, err
	}
	for name, data := range files {
		have, err := os.ReadFile(filepath.Join(rc.StatePath(DirBoot), name))
		if err != nil || !bytes.Equal(have, data) {
			return false, nil
		}
	}
	return pxeDone(ctx, rc, files)
}

// Run implements Phase.
func (p *BootPhase) Run(ctx context.Context, rc *RunContext) error {
	files, err := bootFiles(rc)
	if err != nil {
		return err
	}
	dir := rc.StatePath(DirBoot)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, err := rc.Host().Files.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return err
		}
	}
	if err := pruneBoot(rc, dir, files); err != nil {
		return err
	}
	if err := servePXE(ctx, rc, files); err != nil {
		return err
	}
	if _, ok := files["grub.cfg"]; !ok {
		rc.Log().Infof("no iPXE, PXE or GRUB files: %v", ignition.ErrNoPXEMedia)
	}
	rc.Log().Infof("boot artifacts of %d nodes written to %s; boot each node with its line:", len(rc.Spec().Nodes), dir)
	rc.Log().Raw(string(files["boot.txt"]))
	return nil
}

// Report implements Reporter: an unchanged re-run prints the boot lines
// again, since the person re-running apply is usually about to boot.
func (p *BootPhase) Report(ctx context.Context, rc *RunContext) error {
	files, err := bootFiles(rc)
	if err != nil {
		return fmt.Errorf("failed to print the boot lines: %w", err)
	}
	rc.Log().Infof("boot artifacts unchanged in %s; boot each node with its line:", rc.StatePath(DirBoot))
	rc.Log().Raw(string(files["boot.txt"]))
	return nil
}

// bootFiles renders every artifact, keyed by path under DirBoot.
func bootFiles(rc *RunContext) (map[string][]byte, error) {
	hashes, err := ReadIgnitionHashes(rc.StateDir())
	if err != nil {
		return nil, err
	}
	boots := BootArtifacts(rc.Cluster(), hashes)
	files := map[string][]byte{}
	for name, format := range map[string]string{"boot.txt": ignition.FormatText, "nodes.json": ignition.FormatJSON} {
		if files[name], err = ignition.Render(format, boots); err != nil {
			return nil, err
		}
	}
	for _, b := range boots {
		files[b.Name+".txt"] = ignition.RenderText([]ignition.Boot{b})
		files[b.Name+".nmconnection"] = []byte(b.Keyfile)
	}
	files["iso-customize.sh"] = ignition.RenderISOCustomize(boots)
	if len(boots) == 0 || !boots[0].HasPXEMedia() {
		return files, nil
	}
	return addNetworkBootFiles(files, boots)
}

func addNetworkBootFiles(files map[string][]byte, boots []ignition.Boot) (map[string][]byte, error) {
	var err error
	if files["boot.ipxe"], err = ignition.RenderIPXE(boots); err != nil {
		return nil, err
	}
	if files["grub.cfg"], err = ignition.RenderGRUB(boots); err != nil {
		return nil, err
	}
	for _, b := range boots {
		if files["ipxe/"+b.Name+".ipxe"], err = ignition.RenderIPXE([]ignition.Boot{b}); err != nil {
			return nil, err
		}
	}
	pxe, err := ignition.PXEFiles(boots)
	if err != nil {
		return nil, err
	}
	for name, data := range pxe {
		files["pxelinux.cfg/"+name] = data
	}
	return files, nil
}

// pruneBoot removes artifacts of nodes no longer in the spec.
func pruneBoot(rc *RunContext, dir string, keep map[string][]byte) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		if _, ok := keep[filepath.ToSlash(rel)]; !ok {
			if _, err := rc.Host().Files.Remove(path); err != nil {
				return fmt.Errorf("failed to remove the stale boot artifact %s: %w", path, err)
			}
		}
		return nil
	})
}
