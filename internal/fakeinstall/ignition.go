package main

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// createIgnitionConfigs works in the real installer's order (its asset
// store's Fetch, then PersistToFile): make everything in memory, save the
// state file (which keeps the consumed manifests, the PKI and the configs),
// delete the consumed manifests, then write the outputs. A run killed at
// any point and run again in the same directory makes the same ignition
// from the same CA, as the real one does from its state file.
func createIgnitionConfigs(dir string) error {
	st, err := loadState(dir)
	if err != nil {
		return err
	}
	ic, manifests, err := consumeManifests(dir, st)
	if err != nil {
		return err
	}
	if err := injectedFailure("ignition-configs"); err != nil {
		return err
	}
	if st.PKI == nil {
		if st.PKI, err = newPKI(ic.clusterDomain(), now()); err != nil {
			return err
		}
	}
	outputs, err := ignitionOutputs(ic, st, st.PKI, manifests)
	if err != nil {
		return err
	}
	st.ManifestFiles, st.IgnitionConfigs = manifests, []string{"bootstrap.ign", "master.ign", "worker.ign"}
	if err := st.save(dir); err != nil {
		return err
	}
	hang("ignition-configs:saved")
	for _, d := range []string{"manifests", "openshift"} {
		if err := os.RemoveAll(filepath.Join(dir, d)); err != nil {
			return err
		}
	}
	hang("ignition-configs:consumed")
	names := make([]string, 0, len(outputs))
	for name := range outputs {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return err
		}
		if err := os.WriteFile(path, outputs[name].data, outputs[name].mode); err != nil {
			return err
		}
		if i == 0 {
			hang("ignition-configs:writing")
		}
	}
	info("Ignition-Configs created in: %s and %s", dir, filepath.Join(dir, "auth"))
	return nil
}

// consumeManifests reads manifests/ and openshift/ (okdctl's additions
// included); without them it makes them from install-config.yaml first.
func consumeManifests(dir string, st *state) (*installConfig, map[string][]byte, error) {
	ic := st.InstallConfig
	_, err := os.Stat(filepath.Join(dir, "manifests"))
	onDisk := !errors.Is(err, os.ErrNotExist)
	switch {
	case !onDisk && ic != nil && st.ManifestFiles != nil:
		// consumed by an earlier run: the state file keeps them
		info("Loading Openshift Manifests from the state file")
		return ic, st.ManifestFiles, nil
	case !onDisk || ic == nil:
		var err error
		if ic, err = consumeInstallConfig(dir, st); err != nil {
			return nil, nil, fmt.Errorf("failed to fetch Bootstrap Ignition Config: %w", err)
		}
		if err := writeManifests(dir, ic, st); err != nil {
			return nil, nil, err
		}
	default:
		info("Consuming Master Machines from target directory")
		info("Consuming Openshift Manifests from target directory")
		info("Consuming Common Manifests from target directory")
	}
	files := map[string][]byte{}
	for _, sub := range []string{"manifests", "openshift"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			return nil, nil, fmt.Errorf("failed to fetch Bootstrap Ignition Config: %w", err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(dir, sub, e.Name()))
			if err != nil {
				return nil, nil, err
			}
			files[sub+"/"+e.Name()] = data
		}
	}
	return ic, files, nil
}

type output struct {
	data []byte
	mode os.FileMode
}

func ignitionOutputs(ic *installConfig, st *state, pki *clusterPKI, manifests map[string][]byte) (map[string]output, error) {
	kubeconfig, err := adminKubeconfig(ic, pki)
	if err != nil {
		return nil, err
	}
	boot, err := json.Marshal(bootstrapConfig(ic, pki, manifests, kubeconfig))
	if err != nil {
		return nil, err
	}
	meta, _ := json.Marshal(map[string]string{"clusterName": ic.Metadata.Name, "clusterID": st.ClusterID, "infraID": st.InfraID})
	return map[string]output{
		"bootstrap.ign":           {boot, 0o640},
		"master.ign":              {pointerConfig(ic, pki, "master"), 0o640},
		"worker.ign":              {pointerConfig(ic, pki, "worker"), 0o640},
		"auth/kubeconfig":         {kubeconfig, 0o600},
		"auth/kubeadmin-password": {[]byte(st.KubeadminPassword), 0o600},
		"metadata.json":           {meta, 0o640},
	}, nil
}

// specVersion is the Ignition spec the release's installer writes.
func specVersion() string {
	parts := strings.SplitN(version(), ".", 3)
	if len(parts) >= 2 {
		if minor, err := strconv.Atoi(parts[1]); err == nil && minor < 10 {
			return "3.1.0"
		}
	}
	return "3.2.0"
}

type ignConfig struct {
	Ignition map[string]any `json:"ignition"`
	Passwd   map[string]any `json:"passwd,omitempty"`
	Storage  map[string]any `json:"storage,omitempty"`
	Systemd  map[string]any `json:"systemd,omitempty"`
}

func pointerConfig(ic *installConfig, pki *clusterPKI, role string) []byte {
	cfg := ignConfig{Ignition: map[string]any{
		"version": specVersion(),
		"config": map[string]any{"merge": []any{map[string]string{
			"source": fmt.Sprintf("https://api-int.%s:22623/config/%s", ic.clusterDomain(), role)}}},
		"security": map[string]any{"tls": map[string]any{"certificateAuthorities": []any{map[string]string{
			"source": "data:text/plain;charset=utf-8;base64," + base64.StdEncoding.EncodeToString(pki.RootCA.Cert)}}}},
	}}
	out, _ := json.Marshal(cfg)
	return out
}

func bootstrapConfig(ic *installConfig, pki *clusterPKI, manifests map[string][]byte, kubeconfig []byte) ignConfig {
	files := []any{
		ignFile("/opt/openshift/tls/root-ca.crt", pki.RootCA.Cert, 0o644, false),
		ignFile("/opt/openshift/tls/root-ca.key", pki.RootCA.Key, 0o600, false),
		ignFile("/opt/openshift/tls/admin-kubeconfig-signer.crt", pki.AdminSigner.Cert, 0o644, false),
		ignFile("/opt/openshift/tls/kubelet-signer.crt", pki.KubeletSigner.Cert, 0o644, true),
		ignFile("/opt/openshift/tls/kubelet-signer.key", pki.KubeletSigner.Key, 0o600, true),
		ignFile("/opt/openshift/tls/kube-apiserver-lb-server.crt", pki.APIServerLB.Cert, 0o644, true),
		ignFile("/opt/openshift/tls/kube-apiserver-lb-server.key", pki.APIServerLB.Key, 0o600, true),
		ignFile("/opt/openshift/auth/kubeconfig", kubeconfig, 0o600, false),
		ignFile("/root/.docker/config.json", []byte(ic.PullSecret), 0o600, false),
	}
	if ic.AdditionalTrustBundle != "" {
		files = append(files, ignFile("/etc/pki/ca-trust/source/anchors/ca.crt", []byte(ic.AdditionalTrustBundle), 0o600, false))
	}
	names := make([]string, 0, len(manifests))
	for name := range manifests {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		files = append(files, ignFile("/opt/openshift/"+name, manifests[name], 0o644, true))
	}
	return ignConfig{
		Ignition: map[string]any{"version": specVersion()},
		Passwd:   map[string]any{"users": []any{map[string]any{"name": "core", "sshAuthorizedKeys": []string{ic.SSHKey}}}},
		Storage:  map[string]any{"files": files},
		Systemd: map[string]any{"units": []any{
			map[string]any{"name": "bootkube.service", "contents": "[Unit]\nDescription=Bootstrap a Kubernetes cluster\n[Service]\nExecStart=/usr/local/bin/bootkube.sh\n"},
			map[string]any{"name": "kubelet.service", "enabled": true, "contents": "[Unit]\nDescription=Kubernetes Kubelet\n[Service]\nExecStart=/usr/bin/kubelet\n[Install]\nWantedBy=multi-user.target\n"},
		}},
	}
}

// ignFile embeds data as a base64 data URL, gzip-compressed when asked
// (openshift-install compresses the large files).
func ignFile(path string, data []byte, mode int, compress bool) map[string]any {
	contents := map[string]any{}
	if compress {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(data)
		_ = zw.Close()
		data = buf.Bytes()
		contents["compression"] = "gzip"
	}
	contents["source"] = "data:;base64," + base64.StdEncoding.EncodeToString(data)
	return map[string]any{"path": path, "mode": mode, "overwrite": true,
		"user": map[string]string{"name": "root"}, "contents": contents}
}

func adminKubeconfig(ic *installConfig, pki *clusterPKI) ([]byte, error) {
	if src := os.Getenv("FAKEINSTALL_KUBECONFIG"); src != "" {
		return os.ReadFile(src)
	}
	server := os.Getenv("FAKEINSTALL_API_SERVER")
	if server == "" {
		server = fmt.Sprintf("https://api.%s:6443", ic.clusterDomain())
	}
	b64 := base64.StdEncoding.EncodeToString
	return []byte(fmt.Sprintf(`apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: %s
    server: %s
  name: %s
contexts:
- context:
    cluster: %s
    user: admin
  name: admin
current-context: admin
kind: Config
preferences: {}
users:
- name: admin
  user:
    client-certificate-data: %s
    client-key-data: %s
`, b64(pki.RootCA.Cert), server, ic.Metadata.Name, ic.Metadata.Name, b64(pki.Admin.Cert), b64(pki.Admin.Key))), nil
}
