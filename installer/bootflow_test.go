package installer

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/installer/openshiftinstall"
	"github.com/okdctl/okdctl/spec"
	"gopkg.in/yaml.v3"
)

const fixtureCA = `-----BEGIN CERTIFICATE-----
MIIBfjCCASSgAwIBAgIBATAKBggqhkjOPQQDAjAjMSEwHwYDVQQDExhva2RjdGwg
dGVzdCByb290IGNhMB4XDTI0MDEwMTAwMDAwMFoXDTM0MDEwMTAwMDAwMFowIzEh
-----END CERTIFICATE-----
`

// mirrorFixture is the mirror phase's mapping (registry.Mapping's shape).
func mirrorFixture(registry, repo string, sources ...string) []byte {
	var srcs []map[string]any
	for _, s := range sources {
		srcs = append(srcs, map[string]any{"source": s, "mirrors": []string{registry + "/" + repo}})
	}
	data, _ := json.Marshal(map[string]any{"release": sources[0] + ":tag", "releaseDigest": "sha256:00",
		"releaseMirror": registry + "/" + repo + "@sha256:00", "repository": registry + "/" + repo, "sources": srcs})
	return data
}

func TestInstallConfigGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		example  string
		registry bool // the registry and mirror phases have run
	}{
		{"lab", true}, {"seed", true}, {"ha", false}, {"disconnected", true},
	}
	for _, tc := range cases {
		t.Run(tc.example, func(t *testing.T) {
			t.Parallel()
			c := loadExampleForFlow(t, tc.example)
			rc, _ := flowRC(t, c, t.TempDir(), time.Now)
			if tc.registry {
				host := "registry." + c.ClusterDomain() + ":5000"
				writeStateFile(t, rc, FilePullSecret, []byte(`{"auths":{"`+host+`":{"auth":"YWRtaW46Zml4dHVyZQ=="}}}`), 0o600)
				writeStateFile(t, rc, FileCACert, []byte(fixtureCA), 0o644)
				src := strings.SplitN(c.Spec.Release.Image, ":", 2)[0]
				writeStateFile(t, rc, FileMirrorMapping, mirrorFixture(host, "okd/release", src, src+"-content"), 0o644)
			}
			out, err := renderInstallConfig(rc, false)
			if err != nil {
				t.Fatal(err)
			}
			flowGolden(t, "installconfig/"+tc.example+".yaml", out)
		})
	}
}

func TestComputeReplicasIsTheWorkerCount(t *testing.T) {
	t.Parallel()
	for example, want := range map[string]int{"compact": 0, "single-master": 1, "lab": 1, "ha": 3} {
		c := loadExampleForFlow(t, example)
		rc, _ := flowRC(t, c, t.TempDir(), time.Now)
		out, err := renderInstallConfig(rc, false)
		if err != nil {
			t.Fatal(err)
		}
		var ic struct {
			Compute []struct {
				Replicas int `yaml:"replicas"`
			} `yaml:"compute"`
			ControlPlane struct {
				Replicas int `yaml:"replicas"`
			} `yaml:"controlPlane"`
		}
		if err := yaml.Unmarshal(out, &ic); err != nil {
			t.Fatal(err)
		}
		if ic.Compute[0].Replicas != want || ic.ControlPlane.Replicas != len(c.Spec.NodesWithRole(spec.RoleMaster)) {
			t.Errorf("%s: compute %d (want %d), control plane %d", example, ic.Compute[0].Replicas, want, ic.ControlPlane.Replicas)
		}
	}
}

func TestInstallConfigNeedsPullSecretForOCP(t *testing.T) {
	t.Parallel()
	c := loadExampleForFlow(t, "ha")
	c.Spec.Release.Image = "quay.io/openshift-release-dev/ocp-release:4.16.3-x86_64"
	rc, _ := flowRC(t, c, t.TempDir(), time.Now)
	if _, err := renderInstallConfig(rc, false); err == nil || !strings.Contains(err.Error(), "spec.pullSecretFile") {
		t.Errorf("OCP without pull secret: %v", err)
	}
}

func TestOldReleaseAddsIngressManifest(t *testing.T) {
	t.Parallel()
	lab := loadExampleForFlow(t, "seed") // 4.5, one worker
	rc, _ := flowRC(t, lab, t.TempDir(), time.Now)
	writeStateFile(t, rc, FileInstallConfig, []byte("x"), 0o600)
	plan, err := planManifests(rc)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := plan.files["manifests/cluster-ingress-default-ingresscontroller.yaml"]; !ok || plan.schedulable {
		t.Errorf("4.5 with one worker: files %v, schedulable %v", plan.files, plan.schedulable)
	}
	ha := loadExampleForFlow(t, "ha") // 4.16, three workers, one Butane file
	rc, _ = flowRC(t, ha, t.TempDir(), time.Now)
	writeStateFile(t, rc, FileInstallConfig, []byte("x"), 0o600)
	if plan, err = planManifests(rc); err != nil {
		t.Fatal(err)
	}
	if len(plan.files) != 1 || plan.files["openshift/99_okdctl_99-worker-chrony.yaml"] == nil {
		t.Errorf("4.16 ha: files %v", plan.files)
	}
}

func TestBootOutputGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ example, format string }{
		{"lab", "text"}, {"lab", "iso-customize"}, {"ha", "json"}, {"ha", "ipxe"}, {"ha", "pxe"}, {"ha", "grub"}, {"sandbox", "text"},
	} {
		c := loadExampleForFlow(t, tc.example)
		out, err := BootOutput(c, BootOptions{Format: tc.format})
		if err != nil {
			t.Fatalf("%s %s: %v", tc.example, tc.format, err)
		}
		flowGolden(t, "boot/"+tc.example+"."+tc.format, out)
	}
}

func TestBootUnknownNode(t *testing.T) {
	t.Parallel()
	c := loadExampleForFlow(t, "lab")
	_, err := BootOutput(c, BootOptions{Node: "master-9"})
	if err == nil || err.Error() != `unknown node "master-9": the nodes of okd are bootstrap, master, worker` {
		t.Errorf("unknown node: %v", err)
	}
	out, err := BootOutput(c, BootOptions{Node: "worker", Format: "json"})
	if err != nil || strings.Count(string(out), `"name"`) != 1 {
		t.Errorf("one node: %s %v", out, err)
	}
}

func TestBootNetworkFormatsWithoutMedia(t *testing.T) {
	t.Parallel()
	c := loadExampleForFlow(t, "lab")
	if _, err := BootOutput(c, BootOptions{Format: "ipxe"}); err == nil || !strings.Contains(err.Error(), "spec.coreos.kernel") {
		t.Errorf("ipxe without media: %v", err)
	}
}

func TestBootInstallFromBastion(t *testing.T) {
	t.Parallel()
	c := loadExampleForFlow(t, "lab")
	c.Spec.CoreOS.InstallFromBastion = true
	out, err := BootOutput(c, BootOptions{Node: "master"})
	if err != nil {
		t.Fatal(err)
	}
	want := "coreos.inst.image_url=http://192.168.120.101:8080/install/scos-9.0.20250510-0-metal.x86_64.raw.gz coreos.inst.insecure"
	if !strings.Contains(string(out), want) {
		t.Errorf("install from bastion:\n%s", out)
	}
}

func TestReleaseOverrideFromMirror(t *testing.T) {
	t.Parallel()
	c := loadExampleForFlow(t, "disconnected")
	rc, out := flowRC(t, c, t.TempDir(), time.Now)
	d := &openshiftinstall.Driver{}
	v := openshiftinstall.VersionInfo{Version: "4.16.0-0.okd-scos-2024-09-24-151747", ReleaseImage: "quay.io/okd/scos-release@sha256:aaaa"}
	if err := releaseOverride(rc, d, v); err != nil || len(d.Env) != 0 {
		t.Fatalf("without a mirror mapping: %v %v", d.Env, err)
	}
	writeStateFile(t, rc, FileMirrorMapping, mirrorFixture("registry.airgap.corp.example.com:5000", "okd/release", "quay.io/okd/scos-release"), 0o644)
	if err := releaseOverride(rc, d, v); err != nil {
		t.Fatal(err)
	}
	if len(d.Env) != 1 || d.Env[0] != "OPENSHIFT_INSTALL_RELEASE_IMAGE_OVERRIDE=quay.io/okd/scos-release@sha256:00" {
		t.Errorf("override: %v", d.Env)
	}
	d.Env = nil
	v.ReleaseImage = "quay.io/okd/scos-release@sha256:00"
	v.Version = "4.16.0-0.okd-scos-2024-10-01-000000"
	if err := releaseOverride(rc, d, v); err != nil || len(d.Env) != 0 {
		t.Errorf("same digest: %v %v", d.Env, err)
	}
	if !strings.Contains(out.String(), "installs its own release") {
		t.Errorf("no warning for another build of the release:\n%s", out.String())
	}
}
