package pxe

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/okdctl/okdctl/bastion"
)

// ServiceName is the bastion service that runs dnsmasq.
const ServiceName = "okdctl-dnsmasq"

// Deployer puts a dnsmasq configuration and its TFTP root live.
type Deployer struct {
	Host *bastion.Host
	// Binary is the dnsmasq program.
	Binary string
	// ConfigPath is the live configuration of okdctl-dnsmasq.
	ConfigPath string
	// IPXEDir holds Debian's iPXE binaries (BIOSBootFile, UEFIBootFile).
	IPXEDir string
	// User runs dnsmasq on a real bastion, confined by systemd; empty
	// runs it as root (the sandbox).
	User string
}

// Result says what Apply changed.
type Result struct {
	bastion.ReplaceResult
	// TFTPWritten counts the TFTP files written or removed.
	TFTPWritten int
}

// Capabilities are what dnsmasq needs as a non-root DHCP and TFTP server:
// ports 67 and 69, SO_BINDTODEVICE, and the ARP entry through which it
// answers a client that has no address yet.
var Capabilities = []string{"CAP_NET_BIND_SERVICE", "CAP_NET_ADMIN", "CAP_NET_RAW"}

// Service is the bastion service running cfg. dnsmasq re-reads neither
// its ranges nor its hosts on SIGHUP, so a change restarts it.
func (d *Deployer) Service(in Input) func(cfg []byte) bastion.Service {
	return func(cfg []byte) bastion.Service {
		sum := sha256.Sum256(cfg)
		svc := bastion.Service{
			Name:         ServiceName,
			Description:  "okdctl dnsmasq: DHCP and TFTP for the cluster's PXE installs",
			Command:      []string{d.Binary, "--keep-in-foreground", "--log-facility=-", "--conf-file=" + d.ConfigPath, "--pid-file="},
			ConfigDigest: hex.EncodeToString(sum[:]),
		}
		if d.User != "" {
			svc.User, svc.Capabilities = d.User, Capabilities
			svc.Confine = bastion.Confinement{WritePaths: []string{filepath.Dir(in.LeaseFile)}, Families: []string{"AF_NETLINK", "AF_PACKET"}}
		}
		return svc
	}
}

// Apply writes the TFTP root (the iPXE binaries and files, keyed by path
// under it: pxelinux.cfg/..., grub.cfg), removes what it no longer names,
// then renders in, checks it with `dnsmasq --test` and puts it live.
// Applying again writes nothing and restarts nothing.
func (d *Deployer) Apply(ctx context.Context, in Input, files map[string][]byte) (Result, error) {
	cfg, err := Render(in)
	if err != nil {
		return Result{}, err
	}
	n, err := d.writeTFTP(in.TFTPRoot, files)
	if err != nil {
		return Result{}, err
	}
	if err := d.Host.Files.MkdirAll(filepath.Dir(in.LeaseFile), 0o755); err != nil {
		return Result{}, err
	}
	res, err := d.Host.Replace(ctx, bastion.Replace{Program: "dnsmasq", Path: d.ConfigPath, Content: cfg,
		Check:   func(ctx context.Context) error { return Check(ctx, d.Host.Runner, d.Binary, cfg) },
		Service: d.Service(in),
		BeforeWrite: func(ctx context.Context) (func(context.Context, bastion.Action) error, error) {
			if d.User == "" {
				return nil, nil
			}
			return nil, bastion.EnsureServiceUser(ctx, d.Host.Runner, d.User, "")
		}})
	return Result{ReplaceResult: res, TFTPWritten: n}, err
}

// TFTPFiles adds the iPXE binaries from dir to files: undionly.kpxe (also
// as undionly.0, the name a proxy-DHCP PXE menu asks for) and ipxe.efi.
func TFTPFiles(dir string, files map[string][]byte) (map[string][]byte, error) {
	out := map[string][]byte{}
	for name, data := range files {
		out[name] = data
	}
	for name, src := range map[string]string{BIOSBootFile: BIOSBootFile, "undionly.0": BIOSBootFile, UEFIBootFile: UEFIBootFile} {
		data, err := os.ReadFile(filepath.Join(dir, src))
		if err != nil {
			return nil, fmt.Errorf("failed to read iPXE's %s: %w (Debian/Ubuntu: apt-get install ipxe; or set spec.pxe.ipxeDir)", src, err)
		}
		out[name] = data
	}
	return out, nil
}

func (d *Deployer) writeTFTP(root string, files map[string][]byte) (int, error) {
	all, err := TFTPFiles(d.IPXEDir, files)
	if err != nil {
		return 0, err
	}
	names := make([]string, 0, len(all))
	for name := range all {
		names = append(names, name)
	}
	sort.Strings(names)
	n := 0
	for _, name := range names {
		w, err := d.Host.Files.WriteFile(filepath.Join(root, name), all[name], 0o644)
		if err != nil {
			return n, err
		}
		if w {
			n++
		}
	}
	err = filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if _, keep := all[filepath.ToSlash(rel)]; keep {
			return nil
		}
		if _, err := d.Host.Files.Remove(path); err != nil {
			return fmt.Errorf("failed to remove the stale TFTP file %s: %w", path, err)
		}
		n++
		return nil
	})
	return n, err
}

// Check validates a configuration with `dnsmasq --test` (run even in a
// dry run); the error carries dnsmasq's own output.
func Check(ctx context.Context, runner bastion.Runner, binary string, cfg []byte) error {
	f, err := os.CreateTemp("", "okdctl-dnsmasq-*.conf")
	if err != nil {
		return fmt.Errorf("failed to write the candidate dnsmasq configuration: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(cfg); err != nil {
		f.Close()
		return fmt.Errorf("failed to write the candidate dnsmasq configuration: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("failed to write the candidate dnsmasq configuration: %w", err)
	}
	if _, err := runner.Run(ctx, bastion.Cmd{Name: binary, Args: []string{"--test", "--conf-file=" + f.Name()}, ReadOnly: true}); err != nil {
		return fmt.Errorf("failed to validate the candidate dnsmasq configuration: %w", err)
	}
	return nil
}
