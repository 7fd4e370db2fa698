package installer

import "github.com/okdctl/okdctl/spec"

// testKey and validCluster are the spec package's test fixture (spec's
// validate_test.go), which the runner tests and benchmarks start from.
const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGj0t9ugM8G6nX5bcKdbsfM6n9WI1Dh+8MHZmlo0hRr6 test\n"

func validCluster() *spec.Cluster {
	return &spec.Cluster{
		APIVersion: spec.APIVersion, Kind: spec.Kind, Metadata: spec.Metadata{Name: "okd"},
		Spec: spec.ClusterSpec{
			BaseDomain: "example",
			Release:    spec.Release{Image: "quay.io/openshift/okd:4.5.0-0.okd-2020-07-14-153706-ga"},
			CoreOS:     spec.CoreOS{Image: "https://example.invalid/fcos.raw.xz"},
			InstallDir: "install",
			SSHKeyFile: "id.pub",
			Network:    spec.Network{MachineCIDR: "192.168.120.0/24", Gateway: "192.168.120.101"},
			Bastion:    spec.Bastion{IP: "192.168.120.101"},
			Nodes: []spec.Node{
				{Name: "bootstrap", Role: spec.RoleBootstrap, IP: "192.168.120.102", NIC: "ens787f0"},
				{Name: "master", Role: spec.RoleMaster, IP: "192.168.120.103"},
				{Name: "worker", Role: spec.RoleWorker, IP: "192.168.120.104", MAC: "52:54:00:aa:bb:04"},
			},
		},
	}
}
