package installer

import (
	"fmt"
	"testing"

	"github.com/okdctl/okdctl/installer/cluster"
	"github.com/okdctl/okdctl/spec"
	"github.com/okdctl/okdctl/spec/release"
)

func mustVersion(t *testing.T, s string) release.Version {
	t.Helper()
	v, err := release.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestScalePlanFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		release          string
		masters, workers int
		want             cluster.ScalePlan
	}{
		{"4.5", 1, 1, cluster.ScalePlan{IngressReplicas: 1, EtcdOverride: true}}, // the seed
		{"4.5", 1, 0, cluster.ScalePlan{IngressReplicas: 1, EtcdOverride: true}},
		{"4.7", 1, 2, cluster.ScalePlan{EtcdOverride: true, AuthOverride: true}},
		{"4.8", 1, 0, cluster.ScalePlan{}},
		{"4.8", 1, 2, cluster.ScalePlan{}},
		{"4.16", 3, 1, cluster.ScalePlan{IngressReplicas: 1}},
		{"4.16", 3, 0, cluster.ScalePlan{}},
		{"4.16", 3, 2, cluster.ScalePlan{}},
		{"4.19", 1, 1, cluster.ScalePlan{IngressReplicas: 1}},
	} {
		t.Run(fmt.Sprintf("%s-%dm%dw", tc.release, tc.masters, tc.workers), func(t *testing.T) {
			t.Parallel()
			c := &spec.Cluster{Spec: spec.ClusterSpec{Release: spec.Release{Image: "quay.io/openshift/okd:" + tc.release + ".0", Version: tc.release}}}
			for i := 0; i < tc.masters; i++ {
				c.Spec.Nodes = append(c.Spec.Nodes, spec.Node{Name: fmt.Sprintf("m%d", i), Role: spec.RoleMaster})
			}
			for i := 0; i < tc.workers; i++ {
				c.Spec.Nodes = append(c.Spec.Nodes, spec.Node{Name: fmt.Sprintf("w%d", i), Role: spec.RoleWorker})
			}
			if got := ScalePlanFor(c); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
