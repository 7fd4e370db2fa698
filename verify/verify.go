package verify

import (
	"context"
	"sync"
	"time"

	"github.com/okdctl/okdctl/dnsrecords"
	"github.com/okdctl/okdctl/registry"
)

// Input is everything the checks need; a nil part is not checked.
type Input struct {
	DNS      *DNSInput
	LB       *LBInput
	Web      *WebInput
	Registry *RegistryInput
	Bastion  *BastionInput
}

// DNSInput is the record set and the server the nodes use.
type DNSInput struct {
	// Server is "IP:port".
	Server  string
	Records dnsrecords.Input
	// Removed are names of nodes no longer in the spec: no record may
	// answer for them.
	Removed []string
	Timeout time.Duration
}

// LBInput are the load balancer's frontends.
type LBInput struct {
	// API, APIInt and Ingress are the frontend addresses (IPs).
	API, APIInt, Ingress string
	// Ports of the frontends (default 6443, 22623, 80, 443).
	APIPort, MachineConfigPort, HTTPPort, HTTPSPort int
	// NodesUp: the masters run, so /readyz and /healthz must answer.
	NodesUp bool
	// BootstrapIP is the bootstrap node; once BootstrapDone, the load
	// balancer must no longer send to it.
	BootstrapIP   string
	BootstrapDone bool
	// BootstrapName is the bootstrap's server name on the stats page
	// (okdctl's HAProxy names servers by node); a server counts as the
	// bootstrap by address (HAProxy shows it with stats show-legends) or name.
	BootstrapName string
	// StatsURL is an HAProxy stats page (CSV at StatsURL+";csv"), when
	// there is one, to see the backends; without it the bootstrap counts
	// as out once its 6443 and 22623 no longer accept.
	StatsURL string
	// Fix names who to ask (okdctl's own load balancer or the site's).
	External bool
	// ListenersOnly checks only that the frontends (and the stats page,
	// when there is one) accept: the load balancer phase's result check.
	ListenersOnly bool
	// APICA is the cluster's CA bundle (PEM) from the admin kubeconfig,
	// once ignition made it; /readyz is then read over TLS verified
	// against it for APIName (api.<cluster domain>), as oc connects.
	// CASource names where it came from, for the messages.
	APICA    []byte
	APIName  string
	CASource string
	// MCSCA is the CA bundle (PEM) the nodes' pointer ignition trusts
	// for the machine config server, once ignition exists: /healthz on
	// 22623 is then read over TLS verified against it for MCSName
	// (api-int.<cluster domain>), as a booting node's Ignition connects.
	// MCSSource names where it came from, for the messages.
	MCSCA     []byte
	MCSName   string
	MCSSource string
}

// WebInput is the web server the nodes fetch ignition from.
type WebInput struct {
	BaseURL string
	// Ignition maps each node to its ignition URL path and the sha512 its
	// boot line carries ("sha512-<hex>"; empty before ignition exists).
	Ignition []IgnitionFile
}

// IgnitionFile is one node's ignition as its boot line names it.
type IgnitionFile struct {
	Node, URL, SHA512 string
	// Gone: the file must no longer be served (the bootstrap's, after bootstrap).
	Gone bool
}

// RegistryInput is the mirror registry and the release mirrored into it.
type RegistryInput struct {
	Endpoint registry.Endpoint
	// Release is the mirrored release image, "host:port/repository@sha256:..."
	// (empty before the mirror phase).
	Release  string
	External bool
}

// BastionInput is the bastion's own health.
type BastionInput struct {
	// Disks are directories and the free bytes each needs.
	Disks []Disk
	// MaxOffset is the largest clock offset allowed (default 1 s).
	MaxOffset time.Duration
	// Chronyc is the chronyc binary (default from PATH); without it the
	// clock is not checked.
	Chronyc string
	// ChronydSocket is chronyd's command socket (default chronyc's own).
	ChronydSocket string
	// FirewalldPorts ("53/udp") must be allowed by a running firewalld
	// (a real bastion's own services; empty: not checked).
	FirewalldPorts []string
	// FirewalldZone is the zone of the bastion's link ("": the default zone).
	FirewalldZone string
}

// Disk is a directory that needs free space.
type Disk struct {
	What, Dir string
	Need      uint64
}

// Run performs every check of in, the areas concurrently, and returns the
// report with the results in a fixed order.
func Run(ctx context.Context, in Input) *Report {
	rep := &Report{Started: time.Now()}
	parts := []func(context.Context) []Result{}
	if in.DNS != nil {
		parts = append(parts, in.DNS.check)
	}
	if in.LB != nil {
		parts = append(parts, in.LB.check)
	}
	if in.Web != nil {
		parts = append(parts, in.Web.check)
	}
	if in.Registry != nil {
		parts = append(parts, in.Registry.check)
	}
	if in.Bastion != nil {
		parts = append(parts, in.Bastion.check)
	}
	results := make([][]Result, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = p(ctx)
		}()
	}
	wg.Wait()
	for _, r := range results {
		rep.Results = append(rep.Results, r...)
	}
	rep.Took = time.Since(rep.Started)
	return rep
}
