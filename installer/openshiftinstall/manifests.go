package openshiftinstall

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// SchedulerManifest is the manifest create manifests writes the Scheduler
// config to, relative to the install directory.
const SchedulerManifest = "manifests/cluster-scheduler-02-config.yml"

// PatchScheduler sets spec.mastersSchedulable in the Scheduler manifest by
// editing its YAML tree (not its text), keeping every other field.
func PatchScheduler(data []byte, schedulable bool) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("failed to read %s: %w", SchedulerManifest, err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("failed to read %s: not a YAML object", SchedulerManifest)
	}
	if kind := mapValue(doc.Content[0], "kind"); kind == nil || kind.Value != "Scheduler" {
		return nil, fmt.Errorf("failed to patch %s: it holds no Scheduler", SchedulerManifest)
	}
	spec := mapValue(doc.Content[0], "spec")
	if spec == nil || spec.Kind != yaml.MappingNode {
		spec = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		setMapValue(doc.Content[0], "spec", spec)
	}
	setMapValue(spec, "mastersSchedulable", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(schedulable)})
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("failed to write %s: %w", SchedulerManifest, err)
	}
	return buf.Bytes(), enc.Close()
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func setMapValue(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// IngressControllerManifest is the default IngressController with a given
// number of router replicas, as a day-1 manifest. Releases before 4.8 run two
// routers whatever the cluster, which cannot both schedule on one node.
const IngressControllerManifest = "manifests/cluster-ingress-default-ingresscontroller.yaml"

// IngressController renders IngressControllerManifest.
func IngressController(replicas int) []byte {
	return []byte(fmt.Sprintf(`# Added by okdctl: this release runs two routers by default, and the
# cluster has one node for them.
apiVersion: operator.openshift.io/v1
kind: IngressController
metadata:
  name: default
  namespace: openshift-ingress-operator
spec:
  replicas: %d
`, replicas))
}
