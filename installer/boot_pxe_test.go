package installer

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/golden"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/pxe"
	"github.com/okdctl/okdctl/spec"
)

// pxeLab is examples/lab.yaml with spec.pxe in mode and the live media
// and a MAC for every node.
func pxeLab(t *testing.T, mode string) *RunContext {
	t.Helper()
	c, err := spec.LoadFile(filepath.Join("..", "examples", "lab.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c.Spec.PXE.Mode = mode
	c.Spec.CoreOS.Kernel, c.Spec.CoreOS.Initramfs, c.Spec.CoreOS.Rootfs = "https://mirror.example.com/live/kernel", "https://mirror.example.com/live/initramfs.img", "https://mirror.example.com/live/rootfs.img"
	for i := range c.Spec.Nodes {
		if c.Spec.Nodes[i].MAC == "" {
			c.Spec.Nodes[i].MAC = "52:54:00:aa:bb:0" + string(rune('1'+i))
		}
	}
	if errs := c.Validate(); errs != nil {
		t.Fatalf("the PXE lab spec does not validate: %v", errs)
	}
	return &RunContext{cluster: c, host: bastion.NewHost(bastion.HostOptions{})}
}

// TestPXEUnitAndConfig pins the real bastion's okdctl-dnsmasq unit and its
// configuration in both modes, checks the unit with systemd-analyze and
// the configuration with dnsmasq --test.
func TestPXEUnitAndConfig(t *testing.T) {
	t.Parallel()
	bin := testenv.Binary(t, "dnsmasq")
	for _, mode := range []string{pxe.ModeDHCP, pxe.ModeProxy} {
		rc := pxeLab(t, mode)
		in := pxeInput(rc)
		cfg, err := pxe.Render(in)
		if err != nil {
			t.Fatal(err)
		}
		golden.Assert(t, filepath.Join("testdata", "pxe", mode, "dnsmasq.conf.golden"), cfg)
		if err := pxe.Check(context.Background(), bastion.ExecRunner{}, bin, cfg); err != nil {
			t.Errorf("mode %s: %v", mode, err)
		}
		if mode == pxe.ModeDHCP {
			svc := dnsmasqDeployer(rc, "/usr/sbin/dnsmasq").Service(in)(cfg)
			unit := bastion.RenderUnit(svc)
			golden.Assert(t, filepath.Join("testdata", "pxe", svc.Name+".service.golden"), unit)
			verifyUnit(t, svc.Name, unit)
		}
	}
}
