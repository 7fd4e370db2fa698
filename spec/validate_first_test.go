package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFirstSpecGaps are the mistakes a new user's first spec made that
// validation used to accept (issue 14), one case each.
func TestFirstSpecGaps(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		break_ func(c *Cluster)
		want   string
	}{
		{"node on the network address", func(c *Cluster) { c.Spec.Nodes[2].IP = "192.168.120.0" },
			`spec\.nodes\[2\]\.ip: 192\.168\.120\.0 is the network address of spec\.network\.machineCIDR 192\.168\.120\.0/24`},
		{"node on the broadcast address", func(c *Cluster) { c.Spec.Nodes[2].IP = "192.168.120.255" },
			`spec\.nodes\[2\]\.ip: 192\.168\.120\.255 is the broadcast address of spec\.network\.machineCIDR`},
		{"bastion on the broadcast address", func(c *Cluster) { c.Spec.Bastion.IP = "192.168.120.255" },
			`spec\.bastion\.ip: 192\.168\.120\.255 is the broadcast address`},
		{"bare disk name", func(c *Cluster) { c.Spec.Nodes[2].Disk = "sda" },
			`spec\.nodes\[2\]\.disk: "sda" is a bare device name: write /dev/sda`},
		{"no nic", func(c *Cluster) { c.Spec.Nodes[1].NIC = "" },
			`spec\.nodes\[1\]\.nic: is required: name the interface the node's static address goes on`},
		{"api timeout too short", func(c *Cluster) { c.Spec.Timeouts.API = Duration{5 * time.Second} },
			`spec\.timeouts\.api: 5s is too short for a real machine .*use at least 1m0s \(the default is 20m0s\)`},
		{"bootstrap timeout too short", func(c *Cluster) { c.Spec.Timeouts.Bootstrap = Duration{time.Second} },
			`spec\.timeouts\.bootstrap: 1s is too short for a real machine`},
		{"image tag against version", func(c *Cluster) {
			c.Spec.Release.Image, c.Spec.Release.Version = "quay.io/openshift/okd:4.15.0-0.okd-2024-03-10-010116", "4.12"
		}, `spec\.release\.version: "4\.12" disagrees with the release image .*whose tag is release 4\.15`},
		{"ocp release without pull secret", func(c *Cluster) {
			c.Spec.Release.Image = "quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64"
		}, `spec\.pullSecretFile: .* is an OpenShift Container Platform \(OCP\) release, which needs a pull secret`},
		{"openshift 3 image", func(c *Cluster) { c.Spec.Release.Image = "quay.io/openshift/okd:3.11.0" },
			`spec\.release\.image: quay\.io/openshift/okd:3\.11\.0 is an OpenShift 3\.11 release: OpenShift 3\.x is not supported`},
		{"image as a URL", func(c *Cluster) {
			c.Spec.Release.Image = "http://quay.io/openshift/okd:4.5.0-0.okd-2020-07-14-153706-ga"
		},
			`spec\.release\.image: "http://quay\.io/openshift/okd:4\.5\.0-0\.okd-2020-07-14-153706-ga" is an image reference, not a URL: drop the http:// scheme`},
		{"missing local coreos image", func(c *Cluster) { c.Spec.CoreOS.Image = "/nonexistent/fedora-coreos-metal.x86_64.raw.xz" },
			`spec\.coreos\.image: /nonexistent/fedora-coreos-metal\.x86_64\.raw\.xz does not exist: copy the CoreOS image there`},
		{"missing openshift-install", func(c *Cluster) { c.Spec.OpenShiftInstall = "bin/openshift-install" },
			`spec\.openshiftInstall: .*/bin/openshift-install does not exist: point openshiftInstall at the openshift-install of your release`},
		{"sandbox double outside the repository", func(c *Cluster) { c.Spec.OpenShiftInstall = "../bin/openshift-install-double" },
			`spec\.openshiftInstall: .*/bin/openshift-install-double does not exist: the sandbox example's openshift-install is okdctl's test double, .*resolves only inside a checkout of the repository`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := validCluster()
			tc.break_(c)
			_, err := LoadFile(writeSpec(t, c))
			assertSpecError(t, err, tc.want)
			if strings.Contains(err.Error(), "name.Insecure") {
				t.Errorf("the message carries a Go library's hint: %v", err)
			}
		})
	}
}

// TestSandboxMayWaitLess: short timeouts are for the sandbox (a loopback
// machine network with simulated nodes), where the rehearsals use them.
func TestSandboxMayWaitLess(t *testing.T) {
	t.Parallel()
	c := validCluster()
	c.Spec.Network = Network{MachineCIDR: "127.0.1.0/24", Gateway: "127.0.1.254"}
	c.Spec.Bastion.IP = "127.0.1.1"
	for i := range c.Spec.Nodes {
		c.Spec.Nodes[i].IP = "127.0.1." + string(rune('2'+i))
	}
	c.Spec.Timeouts.API, c.Spec.Timeouts.Bootstrap = Duration{10 * time.Second}, Duration{10 * time.Second}
	if _, err := LoadFile(writeSpec(t, c)); err != nil {
		t.Fatalf("a sandbox spec with 10s waits is rejected: %v", err)
	}
}

// TestBadDurationDoesNotHideTheRest: a duration that does not parse is one
// problem among the others, not the only one reported.
func TestBadDurationDoesNotHideTheRest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	raw := `apiVersion: okdctl/v1alpha1
kind: Cluster
metadata: {name: okd}
spec:
  baseDomain: example
  release: {image: "quay.io/openshift/okd:4.5.0-0.okd-2020-07-14-153706-ga"}
  coreos: {image: "https://example.invalid/fedora-coreos-metal.x86_64.raw.xz"}
  sshKeyFile: id.pub
  timeouts:
    api: 5x
    bootstrap: 1s
  network: {machineCIDR: 192.168.120.0/24, gateway: 192.168.120.101}
  bastion: {ip: 192.168.120.101}
  nodes:
  - {name: bootstrap, role: bootstrap, ip: 192.168.120.102, nic: ens3}
  - {name: master, role: master, ip: 192.168.120.0, nic: ens3}
  - {name: worker, role: worker, ip: 192.168.120.104, disk: sda}
`
	_, err := LoadFile(writeRaw(t, dir, raw))
	var se *SpecError
	if !errors.As(err, &se) {
		t.Fatalf("want a spec error, got %v", err)
	}
	for _, want := range []string{
		`spec\.timeouts\.api: "5x" is not a duration .*\(line 10\)`,
		`spec\.timeouts\.bootstrap: 1s is too short`,
		`spec\.nodes\[1\]\.ip: 192\.168\.120\.0 is the network address`,
		`spec\.nodes\[2\]\.disk: "sda" is a bare device name`,
		`spec\.nodes\[2\]\.nic: is required`,
	} {
		assertSpecError(t, err, want)
	}
	if n := len(se.Errors); n != 5 {
		t.Errorf("want exactly the 5 problems, got %d:\n%v", n, err)
	}
}

// TestLocalFilesThatExistPass: an existing local image and tool validate.
func TestLocalFilesThatExistPass(t *testing.T) {
	t.Parallel()
	c := validCluster()
	c.Spec.CoreOS.Image, c.Spec.OpenShiftInstall = "fedora-coreos-metal.x86_64.raw.xz", "./openshift-install"
	path := writeSpec(t, c)
	dir := filepath.Dir(path)
	must(t, os.WriteFile(filepath.Join(dir, "fedora-coreos-metal.x86_64.raw.xz"), []byte("x"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "openshift-install"), []byte("#!/bin/sh\n"), 0o755))
	if _, err := LoadFile(path); err != nil {
		t.Fatalf("existing local files rejected: %v", err)
	}
}
