package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

func createManifests(dir string) error {
	st, err := loadState(dir)
	if err != nil {
		return err
	}
	ic, err := consumeInstallConfig(dir, st)
	if err != nil {
		return err
	}
	if err := injectedFailure("manifests"); err != nil {
		return err
	}
	hang("manifests:consumed")
	if err := writeManifests(dir, ic, st); err != nil {
		return err
	}
	info("Manifests created in: %s and %s", filepath.Join(dir, "manifests"), filepath.Join(dir, "openshift"))
	return st.save(dir)
}

// consumeInstallConfig reads install-config.yaml and deletes it, as
// openshift-install does; the state file keeps it.
func consumeInstallConfig(dir string, st *state) (*installConfig, error) {
	ic, fromFile, err := readInstallConfig(dir, st)
	if err != nil {
		return nil, err
	}
	if fromFile {
		info("Consuming Install Config from target directory")
		if err := os.Remove(filepath.Join(dir, "install-config.yaml")); err != nil {
			return nil, err
		}
	}
	st.InstallConfig = ic
	if st.KubeadminPassword == "" {
		st.KubeadminPassword = randomPassword()
		st.ClusterID = randomUUID()
		st.InfraID = ic.Metadata.Name + "-" + strings.ToLower(randomString(5))
	}
	return ic, nil
}

func writeManifests(dir string, ic *installConfig, st *state) error {
	if ic.computeReplicas() == 0 {
		warn("Making control-plane schedulable by setting MastersSchedulable to true for Scheduler cluster settings")
	}
	files := manifestFiles(ic, st)
	names := make([]string, 0, len(files))
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(content), 0o640); err != nil {
			return err
		}
		names = append(names, name)
	}
	sort.Strings(names)
	st.Manifests = names
	return nil
}

func manifestFiles(ic *installConfig, st *state) map[string]string {
	domain := ic.clusterDomain()
	redacted := *ic
	redacted.PullSecret = ""
	icYAML, _ := yaml.Marshal(redacted)
	files := map[string]string{
		"manifests/cluster-config.yaml":       configMap("kube-system", "cluster-config-v1", "install-config", string(icYAML)),
		"manifests/cluster-dns-02-config.yml": fmt.Sprintf("apiVersion: config.openshift.io/v1\nkind: DNS\nmetadata:\n  creationTimestamp: null\n  name: cluster\nspec:\n  baseDomain: %s\nstatus: {}\n", domain),
		"manifests/cluster-infrastructure-02-config.yml": fmt.Sprintf("apiVersion: config.openshift.io/v1\nkind: Infrastructure\nmetadata:\n  creationTimestamp: null\n  name: cluster\nspec:\n  platformSpec:\n    type: None\nstatus:\n  apiServerInternalURI: https://api-int.%s:6443\n  apiServerURL: https://api.%s:6443\n  controlPlaneTopology: %s\n  infrastructureName: %s\n  infrastructureTopology: %s\n  platform: None\n",
			domain, domain, controlPlaneTopology(ic), st.InfraID, infrastructureTopology(ic)),
		"manifests/cluster-ingress-02-config.yml": fmt.Sprintf("apiVersion: config.openshift.io/v1\nkind: Ingress\nmetadata:\n  creationTimestamp: null\n  name: cluster\nspec:\n  domain: apps.%s\nstatus: {}\n", domain),
		"manifests/cluster-network-02-config.yml": networkManifest(ic),
		"manifests/cluster-proxy-01-config.yaml":  "apiVersion: config.openshift.io/v1\nkind: Proxy\nmetadata:\n  creationTimestamp: null\n  name: cluster\nspec:\n  trustedCA:\n    name: \"\"\nstatus: {}\n",
		"manifests/cluster-scheduler-02-config.yml": fmt.Sprintf("apiVersion: config.openshift.io/v1\nkind: Scheduler\nmetadata:\n  creationTimestamp: null\n  name: cluster\nspec:\n  mastersSchedulable: %t\n  policy:\n    name: \"\"\nstatus: {}\n",
			ic.computeReplicas() == 0),
		"manifests/cvo-overrides.yaml":                            fmt.Sprintf("apiVersion: config.openshift.io/v1\nkind: ClusterVersion\nmetadata:\n  name: version\n  namespace: openshift-cluster-version\nspec:\n  channel: stable-4\n  clusterID: %s\n", st.ClusterID),
		"manifests/openshift-install-manifests.yaml":              configMap("openshift-config", "openshift-install-manifests", "version", version()),
		"openshift/99_kubeadmin-password-secret.yaml":             "apiVersion: v1\nkind: Secret\nmetadata:\n  name: kubeadmin\n  namespace: kube-system\ntype: Opaque\ndata:\n  kubeadmin: JDJhJDEwJGZha2VoYXNoZmFrZWhhc2hmYWtlaGFzaA==\n",
		"openshift/99_openshift-machineconfig_99-master-ssh.yaml": sshMachineConfig("master", ic.SSHKey),
		"openshift/99_openshift-machineconfig_99-worker-ssh.yaml": sshMachineConfig("worker", ic.SSHKey),
	}
	if len(ic.ImageContentSources) > 0 {
		files["manifests/image-content-source-policy-0.yaml"] = mirrorManifest("operator.openshift.io/v1alpha1", "ImageContentSourcePolicy", "repositoryDigestMirrors", ic.ImageContentSources)
	}
	if len(ic.ImageDigestSources) > 0 {
		files["manifests/image-digest-mirror-set.yaml"] = mirrorManifest("config.openshift.io/v1", "ImageDigestMirrorSet", "imageDigestMirrors", ic.ImageDigestSources)
	}
	return files
}

// Topologies follow openshift-install (4.8+): fewer than 3 masters is
// SingleReplica; compute 0 copies the control plane, 1 is SingleReplica.
func controlPlaneTopology(ic *installConfig) string {
	if ic.masters() < 3 {
		return "SingleReplica"
	}
	return "HighlyAvailable"
}

func infrastructureTopology(ic *installConfig) string {
	switch n := ic.computeReplicas(); {
	case n == 0:
		return controlPlaneTopology(ic)
	case n == 1:
		return "SingleReplica"
	}
	return "HighlyAvailable"
}

func configMap(ns, name, key, value string) string {
	out, _ := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": name, "namespace": ns}, "data": map[string]string{key: value}})
	return string(out)
}

func networkManifest(ic *installConfig) string {
	out, _ := yaml.Marshal(map[string]any{"apiVersion": "config.openshift.io/v1", "kind": "Network",
		"metadata": map[string]any{"name": "cluster", "creationTimestamp": nil},
		"spec": map[string]any{"clusterNetwork": ic.Networking.ClusterNetwork, "networkType": ic.Networking.NetworkType,
			"serviceNetwork": ic.Networking.ServiceNetwork},
		"status": map[string]any{}})
	return string(out)
}

func sshMachineConfig(role, key string) string {
	out, _ := yaml.Marshal(map[string]any{"apiVersion": "machineconfiguration.openshift.io/v1", "kind": "MachineConfig",
		"metadata": map[string]any{"name": "99-" + role + "-ssh", "labels": map[string]string{"machineconfiguration.openshift.io/role": role}},
		"spec": map[string]any{"config": map[string]any{"ignition": map[string]string{"version": "3.2.0"},
			"passwd": map[string]any{"users": []any{map[string]any{"name": "core", "sshAuthorizedKeys": []string{key}}}}}}})
	return string(out)
}

func mirrorManifest(apiVersion, kind, field string, mirrors []mirror) string {
	out, _ := yaml.Marshal(map[string]any{"apiVersion": apiVersion, "kind": kind,
		"metadata": map[string]any{"name": "image-mirror-0"}, "spec": map[string]any{field: mirrors}})
	return string(out)
}

func randomString(n int) string {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}

// randomPassword looks like a kubeadmin password: xxxxx-xxxxx-xxxxx-xxxxx.
func randomPassword() string {
	return strings.Join([]string{randomString(5), randomString(5), randomString(5), randomString(5)}, "-")
}

func randomUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
