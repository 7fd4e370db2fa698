package resolver

import (
	"bytes"
	"context"
	"slices"
	"strings"

	"github.com/okdctl/okdctl/bastion"
)

// InPlace reports whether the bastion's resolver already sends in.Domain
// to okdctl's DNS as Ensure would make it (its reads change nothing).
func InPlace(ctx context.Context, h *bastion.Host, in Input) bool {
	rec, err := Detect(ctx, h, in)
	if err != nil {
		return false
	}
	if kept, err := ReadRecord(h, in.RecordPath); err != nil || (in.RecordPath != "" && (kept == nil || *kept != rec)) {
		return false
	}
	switch rec.Method {
	case Networkd:
		live, err := h.Files.ReadFile(rec.File)
		return err == nil && bytes.Equal(live, networkdDropIn(in))
	case ResolvedGlobal:
		live, err := h.Files.ReadFile(rec.File)
		return err == nil && bytes.Equal(live, resolvedDropIn(in))
	case NetworkManager:
		dns, search, err := nmSettings(ctx, h.Runner, rec.Connection, nmFamily(in.IP))
		return err == nil && slices.Contains(dns, in.IP) && slices.Contains(search, "~"+in.Domain)
	}
	live, err := h.Files.ReadFile(rec.File)
	return err == nil && strings.HasPrefix(string(live), blockStart(in.Domain)+"\nnameserver "+in.IP+"\n"+blockEnd+"\n")
}

// Resolves reports whether the bastion's own resolver (getent, as any
// program on it) answers name with ip.
func Resolves(ctx context.Context, run bastion.Runner, name, ip string) bool {
	out, err := run.Run(ctx, bastion.Cmd{Name: "getent", Args: []string{"ahosts", name}, ReadOnly: true})
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == ip {
			return true
		}
	}
	return false
}
