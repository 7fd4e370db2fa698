package resolver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strconv"

	"github.com/okdctl/okdctl/bastion"
)

// The ways the bastion's resolver is managed.
const (
	// Networkd is systemd-resolved fed by systemd-networkd: a drop-in for
	// the .network file of the bastion's link.
	Networkd = "systemd-resolved (systemd-networkd link)"
	// ResolvedGlobal is systemd-resolved's own configuration: a global
	// routing domain, when the link has DNS servers of its own.
	ResolvedGlobal = "systemd-resolved (global routing domain)"
	// NetworkManager is NetworkManager's connection on the bastion's link.
	NetworkManager = "NetworkManager"
	// ResolvConf is a marked block at the top of /etc/resolv.conf.
	ResolvConf = "resolv.conf"
)

// Input says which names go where.
type Input struct {
	// Cluster names okdctl's files (okdctl-<cluster>.conf).
	Cluster string
	// Domain is <cluster>.<baseDomain>: the routing domain.
	Domain string
	// IP and Port are okdctl's DNS.
	IP   string
	Port int
	// Link is the interface holding IP; empty: found from the machine's
	// addresses.
	Link string
	// RecordPath keeps what Ensure did, for Remove (okdctl's state).
	RecordPath string
	// AskUnderRoot asks networkctl, resolvectl and nmcli even when the
	// host's paths are relocated (tests with a fake runner); otherwise a
	// relocated root gets a resolv.conf block and no command runs.
	AskUnderRoot bool
}

// Record is what Ensure changed: enough to undo it.
type Record struct {
	Method string `json:"method"`
	Link   string `json:"link,omitempty"`
	// File is the drop-in or resolv.conf okdctl wrote.
	File string `json:"file,omitempty"`
	// Connection is NetworkManager's connection UUID.
	Connection string `json:"connection,omitempty"`
	Domain     string `json:"domain"`
	Server     string `json:"server"`
}

// Result says what Ensure did.
type Result struct {
	Record
	Changed bool
}

func (in Input) server() string {
	if in.Port == 0 || in.Port == 53 {
		return in.IP
	}
	return net.JoinHostPort(in.IP, strconv.Itoa(in.Port))
}

// Ensure makes the bastion resolve in.Domain through okdctl's DNS, the way
// its resolver is managed; unchanged settings change nothing.
func Ensure(ctx context.Context, h *bastion.Host, in Input) (Result, error) {
	rec, err := Detect(ctx, h, in)
	if err != nil {
		return Result{}, err
	}
	// the host's resolver changed hands (or the link): undo the old way first
	changed, err := undoOther(ctx, h, in, rec)
	if err != nil {
		return Result{}, err
	}
	var now bool
	switch rec.Method {
	case Networkd:
		now, err = ensureNetworkd(ctx, h, in, rec)
	case ResolvedGlobal:
		now, err = ensureResolvedGlobal(ctx, h, in, rec)
	case NetworkManager:
		now, err = ensureNM(ctx, h, in, rec)
	default:
		now, err = ensureResolvConf(h, in, rec)
	}
	if err != nil {
		return Result{}, err
	}
	if err := writeRecord(h, in, rec); err != nil {
		return Result{}, err
	}
	return Result{Record: rec, Changed: changed || now}, nil
}

// undoOther removes what an earlier Ensure recorded when it differs from
// what rec would do now.
func undoOther(ctx context.Context, h *bastion.Host, in Input, rec Record) (bool, error) {
	kept, err := ReadRecord(h, in.RecordPath)
	if err != nil || kept == nil || *kept == rec {
		return false, err
	}
	return undo(ctx, h, *kept)
}

func undo(ctx context.Context, h *bastion.Host, rec Record) (bool, error) {
	switch rec.Method {
	case Networkd:
		return removeNetworkd(ctx, h, rec)
	case ResolvedGlobal:
		return removeResolvedGlobal(ctx, h, rec)
	case NetworkManager:
		return removeNM(ctx, h, rec)
	}
	return removeResolvConf(h, rec.File, rec.Domain)
}

// Remove undoes what Ensure recorded (and a resolv.conf block left by a
// run whose record was lost); nothing recorded changes nothing.
func Remove(ctx context.Context, h *bastion.Host, in Input) (bool, error) {
	rec, err := ReadRecord(h, in.RecordPath)
	if err != nil {
		return false, err
	}
	if rec == nil {
		return removeResolvConf(h, h.Paths.Path("/etc/resolv.conf"), in.Domain)
	}
	if _, err := undo(ctx, h, *rec); err != nil {
		return false, err
	}
	if _, err := h.Files.Remove(in.RecordPath); err != nil {
		return true, err
	}
	return true, nil
}

func writeRecord(h *bastion.Host, in Input, rec Record) error {
	if in.RecordPath == "" {
		return nil
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	_, err = h.Files.WriteFile(in.RecordPath, append(data, '\n'), 0o644)
	return err
}

// ReadRecord reads what Ensure did (nil when it did nothing yet).
func ReadRecord(h *bastion.Host, path string) (*Record, error) {
	if path == "" {
		return nil, nil
	}
	data, err := h.Files.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("failed to read %s: %w (remove it and undo okdctl's resolver settings by hand)", path, err)
	}
	return &rec, nil
}
