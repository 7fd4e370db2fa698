package app

import (
	"strings"

	"github.com/spf13/cobra"
)

// commandExamples are the Examples sections of --help, by command path:
// the commands a user types most, with the flags they go with.
var commandExamples = map[string]string{
	"okdctl": `okdctl init --example lab > cluster.yaml
okdctl validate -f cluster.yaml
okdctl plan -f cluster.yaml
okdctl apply -f cluster.yaml`,
	"okdctl init": `okdctl init > cluster.yaml                     # the lab example, pointed at your SSH key
okdctl init --example ha -o prod/cluster.yaml   # the spec and the files it names, in prod/
okdctl init --example sandbox -o try/cluster.yaml && okdctl apply -f try/cluster.yaml --root try/.demo --sandbox`,
	"okdctl validate": `okdctl validate -f cluster.yaml
okdctl init --example ha | okdctl validate -f -     # a spec on standard input
okdctl validate -f cluster.yaml --log-format json  # the problems as one JSON line`,
	"okdctl plan": `okdctl plan -f cluster.yaml
okdctl plan -f cluster.yaml --from ignition
okdctl plan -f cluster.yaml --offline              # away from the bastion: no registry contacted`,
	"okdctl apply": `okdctl apply -f cluster.yaml
okdctl apply -f cluster.yaml --from ignition       # re-run from a phase (and those after it)
okdctl apply -f cluster.yaml --only dns,loadbalancer
okdctl apply -f cluster.yaml --force boot
okdctl apply -f examples/sandbox.yaml --root .demo --sandbox`,
	"okdctl status": `okdctl status -f cluster.yaml
okdctl status -f examples/sandbox.yaml --root .demo
okdctl status -f cluster.yaml -o json`,
	"okdctl verify": `okdctl verify -f cluster.yaml
okdctl verify -f cluster.yaml -o json`,
	"okdctl boot": `okdctl boot -f cluster.yaml                       # every node's boot line and coreos-installer command
okdctl boot master -f cluster.yaml -o json
okdctl boot -f cluster.yaml -o ipxe > boot.ipxe
LIVE_ISO=scos-live.x86_64.iso sh -c "$(okdctl boot -f cluster.yaml -o iso-customize)"   # one self-installing ISO per node`,
	"okdctl approve-csrs": `okdctl approve-csrs -f cluster.yaml
okdctl approve-csrs -f cluster.yaml --watch
okdctl approve-csrs -f cluster.yaml --install-service   # as the okdctl-approver unit`,
	"okdctl add-node": `okdctl add-node w1 -f cluster.yaml                 # after adding w1 to spec.nodes`,
	"okdctl etcd": `okdctl etcd backup -f cluster.yaml
okdctl etcd restore -f cluster.yaml --yes`,
	"okdctl etcd backup": `okdctl etcd backup -f cluster.yaml                 # the bastion's DNS etcd
okdctl etcd backup -f cluster.yaml --cluster --ssh-key ~/.ssh/id_ed25519`,
	"okdctl etcd restore": `okdctl etcd restore -f cluster.yaml --yes
okdctl etcd restore -f cluster.yaml --cluster --yes   # the cluster's etcd, from the newest backup`,
	"okdctl certs": `okdctl certs -f cluster.yaml
okdctl certs -f cluster.yaml --warn 7d -o json`,
	"okdctl down": `okdctl down -f cluster.yaml                       # a real bastion: stop okdctl's units, keep its state
okdctl down -f cluster.yaml --purge --yes
okdctl down -f examples/sandbox.yaml --root .demo  # stop what a sandbox run started`,
	"okdctl version": `okdctl version
okdctl --version`,
}

// addExamples fills each command's Examples section from commandExamples.
func addExamples(cmd *cobra.Command) {
	if ex, ok := commandExamples[cmd.CommandPath()]; ok && cmd.Example == "" {
		cmd.Example = indent(ex)
	}
	for _, sub := range cmd.Commands() {
		addExamples(sub)
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}
