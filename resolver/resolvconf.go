package resolver

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/okdctl/okdctl/bastion"
)

// A resolv.conf block okdctl owns, first so that the cluster's names are
// asked of okdctl's DNS first. Names outside the cluster still resolve:
// okdctl's DNS forwards them (spec.network.upstreamDNS) or refuses them,
// and a refusal sends the resolver to the next nameserver.
func blockStart(domain string) string {
	return "# okdctl " + domain + ": okdctl's DNS for the cluster (okdctl down removes this block)"
}

const blockEnd = "# okdctl end"

func ensureResolvConf(h *bastion.Host, in Input, rec Record) (bool, error) {
	if in.Port != 0 && in.Port != 53 {
		return false, fmt.Errorf("/etc/resolv.conf names DNS servers on port 53 only, and spec.bastion.ports.dns is %d: the bastion cannot resolve the cluster through it", in.Port)
	}
	old, err := h.Files.ReadFile(rec.File)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	rest := withoutBlock(string(old), in.Domain)
	block := blockStart(in.Domain) + "\nnameserver " + in.IP + "\n" + blockEnd + "\n"
	return h.Files.WriteFile(rec.File, []byte(block+rest), 0o644)
}

func removeResolvConf(h *bastion.Host, path, domain string) (bool, error) {
	old, err := h.Files.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	rest := withoutBlock(string(old), domain)
	if rest == string(old) {
		return false, nil
	}
	return h.Files.WriteFile(path, []byte(rest), 0o644)
}

// withoutBlock is text without okdctl's block for domain.
func withoutBlock(text, domain string) string {
	start := strings.Index(text, blockStart(domain)+"\n")
	if start < 0 {
		return text
	}
	end := strings.Index(text[start:], blockEnd+"\n")
	if end < 0 {
		return text
	}
	return text[:start] + text[start+end+len(blockEnd)+1:]
}
