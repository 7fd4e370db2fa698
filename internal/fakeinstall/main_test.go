package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/internal/testenv"
)

const testInstallConfig = `apiVersion: v1
baseDomain: okd.test
metadata: {name: c1}
compute: [{name: worker, hyperthreading: Enabled, replicas: %d}]
controlPlane: {name: master, hyperthreading: Enabled, replicas: 1}
networking:
  clusterNetwork: [{cidr: 10.128.0.0/14, hostPrefix: 23}]
  machineNetwork: [{cidr: 127.0.1.0/24}]
  networkType: OVNKubernetes
  serviceNetwork: [172.30.0.0/16]
platform: {none: {}}
fips: false
pullSecret: '{"auths":{"fake":{"auth":"aWQ6cGFzcwo="}}}'
sshKey: ssh-ed25519 AAAA test
`

func runDouble(t *testing.T, bin string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestContract(t *testing.T) {
	t.Parallel()
	bin := testenv.FakeOpenShiftInstall(t)
	for replicas, schedulable := range map[int]string{0: "true", 2: "false"} {
		dir := t.TempDir()
		ic := strings.Replace(testInstallConfig, "%d", string(rune('0'+replicas)), 1)
		if err := os.WriteFile(filepath.Join(dir, "install-config.yaml"), []byte(ic), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := runDouble(t, bin, nil, "create", "manifests", "--dir", dir); err != nil {
			t.Fatalf("create manifests: %v\n%s", err, out)
		}
		sched, _ := os.ReadFile(filepath.Join(dir, "manifests", "cluster-scheduler-02-config.yml"))
		if !strings.Contains(string(sched), "mastersSchedulable: "+schedulable) {
			t.Errorf("replicas %d: scheduler manifest\n%s", replicas, sched)
		}
		if _, err := os.Stat(filepath.Join(dir, "install-config.yaml")); !os.IsNotExist(err) {
			t.Errorf("install-config.yaml not consumed")
		}
		if out, err := runDouble(t, bin, []string{"FAKEINSTALL_NOW=2024-05-01T08:00:00Z"}, "create", "ignition-configs", "--dir", dir); err != nil {
			t.Fatalf("create ignition-configs: %v\n%s", err, out)
		}
		checkIgnitionOutputs(t, dir)
	}
}

func checkIgnitionOutputs(t *testing.T, dir string) {
	t.Helper()
	var ptr struct {
		Ignition struct {
			Version string
			Config  struct{ Merge []struct{ Source string } }
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, "worker.ign"))
	if err := json.Unmarshal(data, &ptr); err != nil || ptr.Ignition.Config.Merge[0].Source != "https://api-int.c1.okd.test:22623/config/worker" {
		t.Errorf("worker.ign: %s", data)
	}
	if fi, err := os.Stat(filepath.Join(dir, "auth", "kubeadmin-password")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("kubeadmin-password: %v %v", fi, err)
	}
	for _, gone := range []string{"manifests", "openshift"} {
		if _, err := os.Stat(filepath.Join(dir, gone)); !os.IsNotExist(err) {
			t.Errorf("%s/ not consumed", gone)
		}
	}
	kc, _ := os.ReadFile(filepath.Join(dir, "auth", "kubeconfig"))
	if !strings.Contains(string(kc), "server: https://api.c1.okd.test:6443") {
		t.Errorf("kubeconfig:\n%s", kc)
	}
}

func TestFailsLikeTheRealOne(t *testing.T) {
	t.Parallel()
	bin := testenv.FakeOpenShiftInstall(t)
	out, err := runDouble(t, bin, nil, "create", "manifests", "--dir", t.TempDir())
	if err == nil || !strings.Contains(out, `level=fatal msg="failed to fetch Master Machines: failed to load asset \"Install Config\"`) {
		t.Errorf("missing install-config: %v\n%s", err, out)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "install-config.yaml"), []byte("apiVersion: v1\nmetadata: [\n"), 0o600)
	out, err = runDouble(t, bin, nil, "create", "manifests", "--dir", dir)
	if err == nil || !strings.Contains(out, `invalid \"install-config.yaml\" file`) {
		t.Errorf("malformed install-config: %v\n%s", err, out)
	}
	out, err = runDouble(t, bin, []string{"FAKEINSTALL_VERSION=4.5.0-0.okd-2020-07-14-153706-ga"}, "version")
	if err != nil || !strings.HasPrefix(out, "openshift-install 4.5.0-0.okd-2020-07-14-153706-ga\n") {
		t.Errorf("version: %v\n%s", err, out)
	}
}

// TestInterruptedIgnitionResumes kills create ignition-configs at each of
// its steps and runs it again in the same directory: as with the real
// installer, the outputs come from the state file with the same root CA and
// okdctl's patched manifests, whichever step the kill hit.
func TestInterruptedIgnitionResumes(t *testing.T) {
	t.Parallel()
	bin := testenv.FakeOpenShiftInstall(t)
	for _, point := range []string{"ignition-configs:saved", "ignition-configs:consumed", "ignition-configs:writing"} {
		t.Run(point, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ic := strings.Replace(testInstallConfig, "%d", "2", 1)
			os.WriteFile(filepath.Join(dir, "install-config.yaml"), []byte(ic), 0o600)
			if out, err := runDouble(t, bin, nil, "create", "manifests", "--dir", dir); err != nil {
				t.Fatalf("create manifests: %v\n%s", err, out)
			}
			patched := []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: okdctl-patch}\n")
			os.WriteFile(filepath.Join(dir, "openshift", "99_okdctl_patch.yaml"), patched, 0o640)

			hangFile := filepath.Join(t.TempDir(), "hung")
			cmd := exec.Command(bin, "create", "ignition-configs", "--dir", dir)
			cmd.Env = append(os.Environ(), "FAKEINSTALL_HANG="+point, "FAKEINSTALL_HANG_FILE="+hangFile)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			for i := 0; ; i++ {
				if _, err := os.Stat(hangFile); err == nil {
					break
				}
				if i == 200 {
					cmd.Process.Kill()
					t.Fatalf("the double never reached %s", point)
				}
				time.Sleep(50 * time.Millisecond)
			}
			cmd.Process.Kill()
			cmd.Wait()
			caAtKill := stateRootCA(t, dir)

			if out, err := runDouble(t, bin, nil, "create", "ignition-configs", "--dir", dir); err != nil {
				t.Fatalf("create ignition-configs again: %v\n%s", err, out)
			}
			checkIgnitionOutputs(t, dir)
			boot, _ := os.ReadFile(filepath.Join(dir, "bootstrap.ign"))
			if !strings.Contains(string(boot), `"/opt/openshift/openshift/99_okdctl_patch.yaml"`) {
				t.Errorf("the resumed ignition lost okdctl's manifest")
			}
			master, _ := os.ReadFile(filepath.Join(dir, "master.ign"))
			if !strings.Contains(string(master), base64.StdEncoding.EncodeToString(caAtKill)) {
				t.Errorf("the resumed ignition has another root CA than the interrupted run made")
			}
		})
	}
}

// stateRootCA is the root CA certificate the state file keeps.
func stateRootCA(t *testing.T, dir string) []byte {
	t.Helper()
	st, err := loadState(dir)
	if err != nil || st.PKI == nil || st.PKI.RootCA == nil {
		t.Fatalf("no root CA in the state file: %v", err)
	}
	return st.PKI.RootCA.Cert
}
