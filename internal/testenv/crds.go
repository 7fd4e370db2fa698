package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// OpenShiftCRDs are the CRD manifests (relative to the github.com/openshift/api
// module) that okdctl's cluster phases use.
var OpenShiftCRDs = []string{
	"config/v1/zz_generated.crd-manifests/0000_00_cluster-version-operator_01_clusterversions-Default.crd.yaml",
	"operator/v1/zz_generated.crd-manifests/0000_50_ingress_00_ingresscontrollers.crd.yaml",
	"operator/v1/zz_generated.crd-manifests/0000_12_etcd_01_etcds-Default.crd.yaml",
	"operator/v1/zz_generated.crd-manifests/0000_50_authentication_01_authentications.crd.yaml",
	"route/v1/zz_generated.crd-manifests/routes.crd.yaml",
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

var openshiftAPIDir struct {
	once sync.Once
	dir  string
	err  error
}

// OpenShiftAPIDir is the github.com/openshift/api module's directory in the
// module cache (the version go.mod requires), downloaded when missing.
func OpenShiftAPIDir(t testing.TB) string {
	t.Helper()
	o := &openshiftAPIDir
	o.once.Do(func() { o.dir, o.err = moduleDir("github.com/openshift/api") })
	if o.err != nil {
		t.Fatalf("failed to find the github.com/openshift/api module (run `go mod download`): %v", o.err)
	}
	return o.dir
}

func moduleDir(mod string) (string, error) {
	dir, err := goCmd("list", "-m", "-f", "{{.Dir}}", mod)
	if err == nil && dir != "" {
		return dir, nil
	}
	if _, err := goCmd("mod", "download", mod); err != nil {
		return "", err
	}
	dir, err = goCmd("list", "-m", "-f", "{{.Dir}}", mod)
	if err == nil && dir == "" {
		err = fmt.Errorf("go list gave no directory for %s", mod)
	}
	return dir, err
}

func goCmd(args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = RepoRoot()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return "", fmt.Errorf("go %s: %v: %s", strings.Join(args, " "), err, ee.Stderr)
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// LoadOpenShiftCRDs creates the OpenShiftCRDs as they ship and waits until
// each is established.
func LoadOpenShiftCRDs(t testing.TB, cfg *rest.Config) {
	t.Helper()
	dir := OpenShiftAPIDir(t)
	crds := Dynamic(t, cfg).Resource(crdGVR)
	ctx := context.Background()
	var names []string
	for _, rel := range OpenShiftCRDs {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatalf("failed to read CRD: %v", err)
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(data, &u.Object); err != nil {
			t.Fatalf("failed to parse CRD %s: %v", rel, err)
		}
		if _, err := crds.Create(ctx, u, metav1.CreateOptions{}); err != nil {
			t.Fatalf("failed to create CRD %s: %v", rel, err)
		}
		names = append(names, u.GetName())
	}
	for _, name := range names {
		waitEstablished(t, cfg, name)
	}
}

func waitEstablished(t testing.TB, cfg *rest.Config, name string) {
	t.Helper()
	crds := Dynamic(t, cfg).Resource(crdGVR)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		u, err := crds.Get(context.Background(), name, metav1.GetOptions{})
		if err == nil && conditionTrue(u, "Established") {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("CRD %s not established within 30s", name)
}

func conditionTrue(u *unstructured.Unstructured, typ string) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ && m["status"] == "True" {
			return true
		}
	}
	return false
}
