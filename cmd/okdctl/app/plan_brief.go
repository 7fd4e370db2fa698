package app

import (
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/ignition"
)

// briefLines turns a phase's planned actions into the plan's default
// lines: a file with its size and diff stat (three or more files of one
// directory written alike on one line), a service as start/keep, anything
// else by its summary.
func briefLines(items []bastion.Planned) []string {
	var lines []string
	for i := 0; i < len(items); i++ {
		p := items[i]
		if group := sameDirFiles(items[i:]); len(group) >= 3 {
			lines = append(lines, fileGroupLine(group))
			i += len(group) - 1
			continue
		}
		switch {
		case p.Kind == bastion.KindFile && p.Size == 0 && p.Added+p.Removed <= 2:
			lines = append(lines, p.Summary) // a certificate: its description says it all
		case p.Kind == bastion.KindFile && p.Verb != "" && p.Verb != "remove":
			lines = append(lines, p.Summary+diffStatText(p.Added, p.Removed))
		case p.Brief != "":
			lines = append(lines, p.Brief)
		default:
			lines = append(lines, p.Summary)
		}
	}
	return lines
}

// sameDirFiles is the run of file writes at the head of items that share
// the first one's verb and lie under its directory (and show their content).
func sameDirFiles(items []bastion.Planned) []bastion.Planned {
	first := items[0]
	if !groupable(first) {
		return nil
	}
	n := 0
	for _, p := range items {
		if !groupable(p) || p.Verb != first.Verb || !strings.HasPrefix(p.Path, path.Dir(first.Path)+"/") {
			break
		}
		n++
	}
	return items[:n]
}

// groupable: a plain file whose content a plan shows (not a secret, not a
// certificate, whose summary says more than a group line would).
func groupable(p bastion.Planned) bool {
	return p.Kind == bastion.KindFile && p.Path != "" && (p.Verb == "create" || p.Verb == "update") &&
		p.Diff != "" && p.Size > 0 && !p.Secret
}

func fileGroupLine(group []bastion.Planned) string {
	const shown = 6
	dir := path.Dir(group[0].Path)
	var names []string
	size, added, removed := 0, 0, 0
	for _, p := range group {
		if len(names) < shown {
			names = append(names, strings.TrimPrefix(p.Path, dir+"/"))
		}
		size += p.Size
		added += p.Added
		removed += p.Removed
	}
	if len(group) > shown {
		names = append(names, fmt.Sprintf("and %d more", len(group)-shown))
	}
	return fmt.Sprintf("%s %d files under %s (%d bytes: %s)%s", group[0].Verb, len(group), dir, size,
		strings.Join(names, ", "), diffStatText(added, removed))
}

func diffStatText(added, removed int) string {
	switch {
	case added == 0 && removed == 0:
		return ""
	case removed == 0:
		return fmt.Sprintf(": +%d %s", added, lines(added))
	case added == 0:
		return fmt.Sprintf(": -%d %s", removed, lines(removed))
	}
	return fmt.Sprintf(": +%d -%d lines", added, removed)
}

func lines(n int) string {
	if n == 1 {
		return "line"
	}
	return "lines"
}

// printPlanBoots prints each node's boot line once, at the end of a plan.
func printPlanBoots(out io.Writer, boots []ignition.Boot, f *planFlags) {
	if len(boots) == 0 {
		return
	}
	fmt.Fprintf(out, "\nBoot lines: append at each node's live media boot prompt (%s prints them\nwith the coreos-installer commands; -o json|ipxe|pxe|grub for the other forms):\n", f.suggest("boot"))
	for _, b := range boots {
		fmt.Fprintf(out, "  # %s (%s) %s %s\n  %s\n", b.Name, b.Role, b.FQDN, b.IP, ignition.KernelArgs(b))
	}
}
