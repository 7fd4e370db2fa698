package spec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGj0t9ugM8G6nX5bcKdbsfM6n9WI1Dh+8MHZmlo0hRr6 test\n"

// validCluster is a valid spec; each test case breaks one thing.
func validCluster() *Cluster {
	return &Cluster{
		APIVersion: APIVersion, Kind: Kind, Metadata: Metadata{Name: "okd"},
		Spec: ClusterSpec{
			BaseDomain: "example",
			Release:    Release{Image: "quay.io/openshift/okd:4.5.0-0.okd-2020-07-14-153706-ga"},
			CoreOS:     CoreOS{Image: "https://example.invalid/fcos.raw.xz"},
			InstallDir: "install",
			SSHKeyFile: "id.pub",
			Network:    Network{MachineCIDR: "192.168.120.0/24", Gateway: "192.168.120.101"},
			Bastion:    Bastion{IP: "192.168.120.101"},
			Nodes: []Node{
				{Name: "bootstrap", Role: RoleBootstrap, IP: "192.168.120.102", NIC: "ens787f0"},
				{Name: "master", Role: RoleMaster, IP: "192.168.120.103", NIC: "ens3"},
				{Name: "worker", Role: RoleWorker, IP: "192.168.120.104", NIC: "ens3", MAC: "52:54:00:aa:bb:04"},
			},
		},
	}
}

// pxeReady turns PXE on with everything it needs: live media and a MAC per node.
func pxeReady(c *Cluster) {
	c.Spec.PXE.Mode = PXEModeDHCP
	c.Spec.CoreOS.Kernel, c.Spec.CoreOS.Initramfs, c.Spec.CoreOS.Rootfs = "https://example.invalid/k", "https://example.invalid/i", "https://example.invalid/r"
	for i := range c.Spec.Nodes {
		c.Spec.Nodes[i].MAC = fmt.Sprintf("52:54:00:aa:bb:%02x", i+1)
	}
}

func externalDNS() *ExternalDNS {
	return &ExternalDNS{Server: "192.168.120.2", Zone: "example", ReverseZones: []string{"120.168.192.in-addr.arpa"},
		TSIGKey: TSIGKey{Name: "okdctl", SecretFile: "tsig.key"}}
}

func externalRegistry() *ExternalRegistry {
	return &ExternalRegistry{Host: "registry.example.com:5000", CAFile: "ca.pem", AuthFile: "registry-auth.json"}
}

// writeSpec writes c (and the files it names) into a new directory.
func writeSpec(t testing.TB, c *Cluster) string {
	t.Helper()
	dir := t.TempDir()
	data, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return writeRaw(t, dir, string(data))
}

func writeRaw(t testing.TB, dir, spec string) string {
	t.Helper()
	must(t, os.WriteFile(filepath.Join(dir, "id.pub"), []byte(testKey), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "pull.json"), []byte(`{"auths":{"quay.io":{"auth":"dXNlcjpzZWNyZXQ="}}}`), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "bad-pull.json"), []byte(`not-json-SECRETVALUE`), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "not-a-key.pub"), []byte("hello\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "tsig.key"), []byte("c2VjcmV0\n"), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "open.key"), []byte("c2VjcmV0\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "ca.pem"), []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "registry-auth.json"), []byte(`{"auths":{"registry.example.com:5000":{"auth":"dXNlcjpzZWNyZXQ="}}}`), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "no-user-pull.json"), []byte(`{"auths":{"quay.io":{"auth":"U0VDUkVUVkFMVUU="}}}`), 0o600))
	path := filepath.Join(dir, "cluster.yaml")
	must(t, os.WriteFile(path, []byte(spec), 0o644))
	return path
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestValidSpecLoads(t *testing.T) {
	t.Parallel()
	c, err := LoadFile(writeSpec(t, validCluster()))
	if err != nil {
		t.Fatalf("valid spec rejected: %v", err)
	}
	if c.Spec.Bastion.Ports != DefaultPorts {
		t.Errorf("ports not defaulted: %+v", c.Spec.Bastion.Ports)
	}
	if !filepath.IsAbs(c.Spec.InstallDir) || filepath.Dir(c.Spec.InstallDir) != c.Dir {
		t.Errorf("installDir %q not resolved against the spec's directory %q", c.Spec.InstallDir, c.Dir)
	}
	if c.Spec.Network.Type != "OpenShiftSDN" {
		t.Errorf("4.5 should default to OpenShiftSDN, got %s", c.Spec.Network.Type)
	}
	if c.Spec.Nodes[1].Disk != "/dev/sda" { // defaulted
		t.Errorf("disk not defaulted: %q", c.Spec.Nodes[1].Disk)
	}
}

func TestValidationRejectsBrokenSpecs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		break_ func(c *Cluster)
		want   string // anchored regex over one error line
	}{
		{"api version", func(c *Cluster) { c.APIVersion = "v1" }, `apiVersion: "v1" is not supported`},
		{"kind", func(c *Cluster) { c.Kind = "Pod" }, `kind: "Pod" is not supported`},
		{"no name", func(c *Cluster) { c.Metadata.Name = "" }, `metadata\.name: is required`},
		{"name not a label", func(c *Cluster) { c.Metadata.Name = "My_Cluster" }, `metadata\.name: "My_Cluster" is not a DNS label`},
		{"base domain", func(c *Cluster) { c.Spec.BaseDomain = "exa mple..com" }, `spec\.baseDomain: .* is not a DNS name`},
		{"no release image", func(c *Cluster) { c.Spec.Release.Image = "" }, `spec\.release\.image: is required`},
		{"malformed release image", func(c *Cluster) { c.Spec.Release.Image = "quay.io/okd:bad tag:x" }, `spec\.release\.image: .* is not a valid image reference`},
		{"tag without a version, no version", func(c *Cluster) { c.Spec.Release.Image = "quay.io/okd/release:latest" }, `spec\.release\.version: cannot tell the release version from the image "quay\.io/okd/release:latest": set spec\.release\.version .* or pin the image by digest`},
		{"tag disagrees with version", func(c *Cluster) {
			c.Spec.Release.Image, c.Spec.Release.Version = "quay.io/openshift/okd:4.15.0-0.okd-2024-03-10-010116", "4.12"
		}, `spec\.release\.version: "4\.12" disagrees with the release image quay\.io/openshift/okd:4\.15\.0-0\.okd-2024-03-10-010116, whose tag is release 4\.15`},
		{"openshift 3 image", func(c *Cluster) { c.Spec.Release.Image = "docker.io/openshift/okd:3.11.0" }, `spec\.release\.image: docker\.io/openshift/okd:3\.11\.0 is an OpenShift 3\.11 release: OpenShift 3\.x is not supported`},
		{"ocp without pull secret", func(c *Cluster) {
			c.Spec.Release.Image, c.Spec.PullSecretFile = "quay.io/openshift-release-dev/ocp-release:4.14.3-x86_64", ""
		}, `spec\.pullSecretFile: quay\.io/openshift-release-dev/ocp-release:4\.14\.3-x86_64 is an OpenShift Container Platform \(OCP\) release, which needs a pull secret`},
		{"coreos of another stream", func(c *Cluster) { c.Spec.CoreOS.Image = "/srv/rhcos-4.14.34-x86_64-metal.x86_64.raw.gz" }, `spec\.coreos\.image: /srv/rhcos-4\.14\.34-x86_64-metal\.x86_64\.raw\.gz is Red Hat CoreOS \(RHCOS\), but release 4\.5 \(OKD\) boots Fedora CoreOS \(FCOS\)`},
		{"bad version", func(c *Cluster) { c.Spec.Release.Version = "five" }, `spec\.release\.version: .*not a release version`},
		{"openshift 3", func(c *Cluster) { c.Spec.Release.Version = "3.11" }, `spec\.release\.version: .*OpenShift 3\.x is not supported`},
		{"no coreos image", func(c *Cluster) { c.Spec.CoreOS.Image = "" }, `spec\.coreos\.image: is required`},
		{"ftp image", func(c *Cluster) { c.Spec.CoreOS.Image = "ftp://x/y" }, `spec\.coreos\.image: "ftp://x/y" is not a local path or an http\(s\) URL`},
		{"bad checksum", func(c *Cluster) { c.Spec.CoreOS.ImageSHA256 = "abc" }, `spec\.coreos\.imageSHA256: "abc" is not a sha256`},
		{"partial pxe media", func(c *Cluster) { c.Spec.CoreOS.Kernel = "k" }, `spec\.coreos: kernel, initramfs and rootfs go together`},
		{"pxe unknown mode", func(c *Cluster) { pxeReady(c); c.Spec.PXE.Mode = "bootp" }, `spec\.pxe\.mode: "bootp" is not a PXE mode: use dhcp .* or proxy`},
		{"pxe fields without mode", func(c *Cluster) { c.Spec.PXE.Interface = "eth0" }, `spec\.pxe\.mode: is required when other spec\.pxe fields are set`},
		{"pxe bad interface", func(c *Cluster) { pxeReady(c); c.Spec.PXE.Interface = "eth 0" }, `spec\.pxe\.interface: "eth 0" is not an interface name`},
		{"pxe without live media", func(c *Cluster) {
			pxeReady(c)
			c.Spec.CoreOS.Kernel, c.Spec.CoreOS.Initramfs, c.Spec.CoreOS.Rootfs = "", "", ""
		}, `spec\.coreos\.kernel: is required with spec\.pxe: PXE boots load the live kernel`},
		{"pxe node without mac", func(c *Cluster) { pxeReady(c); c.Spec.Nodes[1].MAC = "" }, `spec\.nodes\[1\]\.mac: is required with spec\.pxe: the bastion answers only the MACs the spec names \(node master\)`},
		{"unreadable ssh key", func(c *Cluster) { c.Spec.SSHKeyFile = "missing.pub" }, `spec\.sshKeyFile: cannot read .*missing\.pub: no such file`},
		{"not an ssh key", func(c *Cluster) { c.Spec.SSHKeyFile = "not-a-key.pub" }, `spec\.sshKeyFile: .* is not an SSH public key`},
		{"unreadable pull secret", func(c *Cluster) { c.Spec.PullSecretFile = "nope.json" }, `spec\.pullSecretFile: cannot read`},
		{"malformed pull secret", func(c *Cluster) { c.Spec.PullSecretFile = "bad-pull.json" }, `spec\.pullSecretFile: .*bad-pull\.json is not a pull secret.*`},
		{"pull secret auth without user", func(c *Cluster) { c.Spec.PullSecretFile = "no-user-pull.json" }, `spec\.pullSecretFile: .*no-user-pull\.json is not a pull secret`},
		{"unreadable butane", func(c *Cluster) { c.Spec.MachineConfigs = []string{"x.bu"} }, `spec\.machineConfigs\[0\]: cannot read .*x\.bu`},
		{"bad machine cidr", func(c *Cluster) { c.Spec.Network.MachineCIDR = "192.168.120.0/33" }, `spec\.network\.machineCIDR: "192\.168\.120\.0/33" is not an IPv4 CIDR`},
		{"gateway outside", func(c *Cluster) { c.Spec.Network.Gateway = "192.168.121.1" }, `spec\.network\.gateway: 192\.168\.121\.1 is outside spec\.network\.machineCIDR`},
		{"bastion outside", func(c *Cluster) { c.Spec.Bastion.IP = "192.168.1.1" }, `spec\.bastion\.ip: 192\.168\.1\.1 is outside`},
		{"cluster overlaps machine", func(c *Cluster) {
			c.Spec.Network.ClusterNetwork = []ClusterNetwork{{CIDR: "192.168.0.0/16", HostPrefix: 23}}
		}, `spec\.network\.clusterNetwork\[0\]\.cidr: 192\.168\.0\.0/16 overlaps spec\.network\.machineCIDR`},
		{"service overlaps cluster", func(c *Cluster) { c.Spec.Network.ServiceNetwork = []string{"10.128.0.0/16"} }, `spec\.network\.serviceNetwork\[0\]: 10\.128\.0\.0/16 overlaps spec\.network\.clusterNetwork\[0\]\.cidr`},
		{"host prefix too small", func(c *Cluster) {
			c.Spec.Network.ClusterNetwork = []ClusterNetwork{{CIDR: "10.128.0.0/14", HostPrefix: 12}}
		}, `spec\.network\.clusterNetwork\[0\]\.hostPrefix: 12 is out of range`},
		{"host prefix too large", func(c *Cluster) {
			c.Spec.Network.ClusterNetwork = []ClusterNetwork{{CIDR: "10.128.0.0/14", HostPrefix: 31}}
		}, `spec\.network\.clusterNetwork\[0\]\.hostPrefix: 31 is out of range`},
		{"network type", func(c *Cluster) { c.Spec.Network.Type = "Calico" }, `spec\.network\.type: "Calico" is not a network type`},
		{"sdn on new release", func(c *Cluster) { c.Spec.Release.Version = "4.17"; c.Spec.Network.Type = "OpenShiftSDN" }, `spec\.network\.type: OpenShiftSDN cannot be installed with release 4\.17`},
		{"upstream dns", func(c *Cluster) { c.Spec.Network.UpstreamDNS = []string{"dns.google"} }, `spec\.network\.upstreamDNS\[0\]: "dns\.google" is not an IP address`},
		{"port out of range", func(c *Cluster) { c.Spec.Bastion.Ports.Stats = 70000 }, `spec\.bastion\.ports\.stats: 70000 is not a port`},
		{"port collision", func(c *Cluster) { c.Spec.Bastion.Ports.Ignition = 6443 }, `spec\.bastion\.ports\.ignition: port 6443 is also used by spec\.bastion\.ports\.api`},
		{"registry user", func(c *Cluster) { c.Spec.Registry.User = "ad:min" }, `spec\.registry\.user: "ad:min" cannot be a registry user`},
		{"mirror without registry", func(c *Cluster) { f, t := false, true; c.Spec.Registry.Enabled, c.Spec.Registry.Mirror = &f, &t }, `spec\.registry\.mirror: mirror needs the registry`},
		{"no nodes", func(c *Cluster) { c.Spec.Nodes = nil }, `spec\.nodes: at least one entry is required`},
		{"external dns server", func(c *Cluster) { c.Spec.DNS.External = externalDNS(); c.Spec.DNS.External.Server = "dns.example" }, `spec\.dns\.external\.server: "dns\.example" is not IP or IP:port`},
		{"external dns zone", func(c *Cluster) { c.Spec.DNS.External = externalDNS(); c.Spec.DNS.External.Zone = "" }, `spec\.dns\.external\.zone: is required`},
		{"reverse zone", func(c *Cluster) {
			c.Spec.DNS.External = externalDNS()
			c.Spec.DNS.External.ReverseZones = []string{"example.com"}
		}, `spec\.dns\.external\.reverseZones\[0\]: "example\.com" is not a reverse zone`},
		{"tsig key name", func(c *Cluster) { c.Spec.DNS.External = externalDNS(); c.Spec.DNS.External.TSIGKey.Name = "" }, `spec\.dns\.external\.tsigKey\.name: is required`},
		{"tsig secret readable", func(c *Cluster) {
			c.Spec.DNS.External = externalDNS()
			c.Spec.DNS.External.TSIGKey.SecretFile = "open.key"
		}, `spec\.dns\.external\.tsigKey\.secretFile: .*open\.key is readable by others \(mode 0644\): chmod 600`},
		{"tsig secret missing", func(c *Cluster) {
			c.Spec.DNS.External = externalDNS()
			c.Spec.DNS.External.TSIGKey.SecretFile = "none.key"
		}, `spec\.dns\.external\.tsigKey\.secretFile: cannot read`},
		{"external and manual", func(c *Cluster) { c.Spec.DNS.External = externalDNS(); c.Spec.DNS.Manual = true }, `spec\.dns\.manual: external and manual DNS exclude each other`},
		{"manual without server", func(c *Cluster) { c.Spec.DNS.Manual = true }, `spec\.dns\.server: "" is not IP or IP:port`},
		{"lb api", func(c *Cluster) {
			c.Spec.LoadBalancer.External = &ExternalLoadBalancer{API: "lb", Ingress: "192.168.120.7"}
		}, `spec\.loadBalancer\.external\.api: "lb" is not an IPv4 address`},
		{"registry host", func(c *Cluster) {
			c.Spec.Registry.External = externalRegistry()
			c.Spec.Registry.External.Host = "registry.example.com"
		}, `spec\.registry\.external\.host: "registry\.example\.com" is not name:port`},
		{"registry ca", func(c *Cluster) {
			c.Spec.Registry.External = externalRegistry()
			c.Spec.Registry.External.CAFile = "id.pub"
		}, `spec\.registry\.external\.caFile: .*id\.pub holds no PEM certificate`},
		{"registry auth", func(c *Cluster) {
			c.Spec.Registry.External = externalRegistry()
			c.Spec.Registry.External.AuthFile = "pull.json"
		}, `spec\.registry\.external\.authFile: .*pull\.json has no credentials for registry\.example\.com:5000`},
		{"registry both", func(c *Cluster) {
			t := true
			c.Spec.Registry.External = externalRegistry()
			c.Spec.Registry.Enabled = &t
		}, `spec\.registry\.enabled: an external registry replaces the bastion's own`},
		{"node name", func(c *Cluster) { c.Spec.Nodes[2].Name = "Worker.1" }, `spec\.nodes\[2\]\.name: "Worker\.1" is not a DNS label`},
		{"reserved node name", func(c *Cluster) { c.Spec.Nodes[2].Name = "api" }, `spec\.nodes\[2\]\.name: "api" is a name the cluster itself uses`},
		{"node named like the name server", func(c *Cluster) { c.Spec.Nodes[2].Name = "dns" }, `spec\.nodes\[2\]\.name: "dns" is a name the cluster itself uses \(dns\.`},
		{"node named like an etcd record (4.3)", func(c *Cluster) {
			c.Spec.Release.Version = "4.3"
			c.Spec.Nodes[2].Name = "etcd-0"
		}, `spec\.nodes\[2\]\.name: "etcd-0" is a name the cluster itself uses`},
		{"duplicate name", func(c *Cluster) { c.Spec.Nodes[2].Name = "master" }, `spec\.nodes\[2\]\.name: master is also used by spec\.nodes\[1\]`},
		{"duplicate ip", func(c *Cluster) { c.Spec.Nodes[2].IP = "192.168.120.103" }, `spec\.nodes\[2\]\.ip: 192\.168\.120\.103 is also used by spec\.nodes\[1\]`},
		{"duplicate mac", func(c *Cluster) { c.Spec.Nodes[1].MAC = "52:54:00:AA:BB:04" }, `spec\.nodes\[2\]\.mac: 52:54:00:aa:bb:04 is also used by spec\.nodes\[1\]`},
		{"bad mac", func(c *Cluster) { c.Spec.Nodes[2].MAC = "52:54:00" }, `spec\.nodes\[2\]\.mac: "52:54:00" is not a MAC address`},
		{"bad ip", func(c *Cluster) { c.Spec.Nodes[2].IP = "192.168.120.300" }, `spec\.nodes\[2\]\.ip: "192\.168\.120\.300" is not an IPv4 address`},
		{"ip outside", func(c *Cluster) { c.Spec.Nodes[2].IP = "10.0.0.9" }, `spec\.nodes\[2\]\.ip: 10\.0\.0\.9 is outside spec\.network\.machineCIDR 192\.168\.120\.0/24`},
		{"node on bastion ip", func(c *Cluster) { c.Spec.Nodes[2].IP = "192.168.120.101" }, `spec\.nodes\[2\]\.ip: 192\.168\.120\.101 is the bastion's address`},
		{"unknown role", func(c *Cluster) { c.Spec.Nodes[2].Role = "infra" }, `spec\.nodes\[2\]\.role: "infra" is not a role`},
		{"bad nic", func(c *Cluster) { c.Spec.Nodes[2].NIC = "eth0:1" }, `spec\.nodes\[2\]\.nic: "eth0:1" is not an interface name`},
		{"bad disk", func(c *Cluster) { c.Spec.Nodes[2].Disk = "/tmp/x" }, `spec\.nodes\[2\]\.disk: "/tmp/x" is not a disk`},
		{"no bootstrap", func(c *Cluster) { c.Spec.Nodes[0].Role = RoleWorker }, `spec\.nodes: no node has role bootstrap`},
		{"two bootstraps", func(c *Cluster) { c.Spec.Nodes[2].Role = RoleBootstrap }, `spec\.nodes: 2 nodes have role bootstrap`},
		{"no masters", func(c *Cluster) { c.Spec.Nodes[1].Role = RoleWorker }, `spec\.nodes: no node has role master`},
		{"two masters", func(c *Cluster) { c.Spec.Nodes[2].Role = RoleMaster }, `spec\.nodes: 2 masters cannot keep etcd quorum`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := validCluster()
			tc.break_(c)
			_, err := LoadFile(writeSpec(t, c))
			assertSpecError(t, err, tc.want)
		})
	}
}

// assertSpecError checks that err is a *SpecError with a line matching want.
func assertSpecError(t *testing.T, err error, want string) {
	t.Helper()
	var se *SpecError
	if !errors.As(err, &se) {
		t.Fatalf("want a spec error matching %q, got %v", want, err)
	}
	re := regexp.MustCompile("^" + want)
	for _, e := range se.Errors {
		if re.MatchString(e.Error()) {
			if strings.Contains(err.Error(), "SECRETVALUE") {
				t.Errorf("the error shows the pull secret's content: %v", err)
			}
			return
		}
	}
	t.Errorf("no error matches ^%s; got:\n%v", want, err)
}

func TestDecodeReportsUnknownFieldsAndSyntax(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, spec, want string }{
		{"unknown top field", "apiVersion: okdctl/v1alpha1\nkind: Cluster\ncolour: red\n", `colour: unknown field \(line 3\)`},
		{"unknown node field", "spec:\n  nodes:\n  - name: a\n    ipaddr: 1.2.3.4\n", `spec\.nodes\[0\]\.ipaddr: unknown field \(line 4\): known fields here are disk, ip, mac, name, nic, role`},
		{"syntax error", "spec:\n  nodes: [\n", `invalid YAML: line \d+: `},
		{"wrong type", "spec:\n  bastion:\n    ports:\n      dns: fifty\n", `spec\.bastion\.ports\.dns: fifty is not a whole number \(line 4\)`},
		{"bad duration", "spec:\n  timeouts:\n    api: soon\n", `.*"soon" is not a duration`},
		{"empty", "\n", `.*cluster\.yaml is empty`},
		{"two documents", "kind: Cluster\n---\nkind: Cluster\n", `the file holds more than one YAML document`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadFile(writeRaw(t, t.TempDir(), tc.spec))
			assertSpecError(t, err, tc.want)
		})
	}
}

func TestAllErrorsReportedAtOnce(t *testing.T) {
	t.Parallel()
	c := validCluster()
	c.Kind = "Pod"
	c.Spec.Nodes[2].IP = "10.0.0.9"
	c.Spec.Bastion.Ports.Ignition = 6443
	_, err := LoadFile(writeSpec(t, c))
	var se *SpecError
	if !errors.As(err, &se) || len(se.Errors) != 3 {
		t.Fatalf("want 3 errors at once, got %v", err)
	}
	if !strings.HasPrefix(err.Error(), se.File+" has 3 problems:") {
		t.Errorf("the error does not name the file first: %v", err)
	}
}

func TestRelativePathsResolveAgainstSpecDir(t *testing.T) {
	t.Parallel()
	c := validCluster()
	c.Spec.CoreOS.Image = "images/fcos.raw.xz"
	c.Spec.PullSecretFile = "pull.json"
	path := writeSpec(t, c)
	must(t, os.MkdirAll(filepath.Join(filepath.Dir(path), "images"), 0o755))
	must(t, os.WriteFile(filepath.Join(filepath.Dir(path), "images", "fcos.raw.xz"), []byte("x"), 0o644))
	got, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(path)
	for field, p := range map[string]string{
		"coreos.image": got.Spec.CoreOS.Image, "pullSecretFile": got.Spec.PullSecretFile,
		"sshKeyFile": got.Spec.SSHKeyFile, "installDir": got.Spec.InstallDir,
	} {
		if !strings.HasPrefix(p, dir+"/") {
			t.Errorf("%s = %q, want it under %s", field, p, dir)
		}
	}
}

func TestExistingInfraSpecLoads(t *testing.T) {
	t.Parallel()
	c := validCluster()
	c.Spec.DNS.External = externalDNS()
	c.Spec.LoadBalancer.External = &ExternalLoadBalancer{API: "192.168.120.5", Ingress: "192.168.120.7"}
	c.Spec.Registry.External = externalRegistry()
	got, err := LoadFile(writeSpec(t, c))
	if err != nil {
		t.Fatal(err)
	}
	s := &got.Spec
	if s.RegistryEnabled() || !s.UsesRegistry() || !s.MirrorEnabled() || s.DNSServer() != "192.168.120.2:53" ||
		!filepath.IsAbs(s.DNS.External.TSIGKey.SecretFile) || s.LoadBalancer.External.APIIntOrAPI() != "192.168.120.5" {
		t.Errorf("defaulted spec: %+v", s)
	}
}

func TestPinnedReleaseNeedsNoVersion(t *testing.T) {
	t.Parallel()
	c := validCluster()
	c.Spec.Release.Image = "quay.io/openshift/okd@sha256:" + strings.Repeat("a", 64)
	if _, err := LoadFile(writeSpec(t, c)); err != nil {
		t.Fatalf("a digest-pinned release without spec.release.version is rejected (its version comes from the image): %v", err)
	}
}

func TestPXESpecLoads(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{PXEModeDHCP, PXEModeProxy} {
		c := validCluster()
		pxeReady(c)
		c.Spec.PXE.Mode = mode
		got, err := LoadFile(writeSpec(t, c))
		if err != nil {
			t.Fatalf("a PXE spec in mode %s is rejected: %v", mode, err)
		}
		if !got.Spec.PXE.Enabled() || got.Spec.PXE.Mode != mode {
			t.Errorf("spec.pxe not loaded: %+v", got.Spec.PXE)
		}
	}
	if validCluster().Spec.PXE.Enabled() {
		t.Error("PXE is on without spec.pxe")
	}
}
