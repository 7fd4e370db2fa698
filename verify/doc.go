// Package verify checks every user-provisioned-infrastructure prerequisite
// of an OpenShift cluster from the bastion, whoever serves it (okdctl's own
// services or a site's DNS server, load balancer, web server and
// registry): DNS records, load balancer listeners and health, the ignition
// files, the mirror registry's TLS and auth, the bastion's clock and disk.
// It needs only addresses and credentials; each check gives one line with
// pass / FAIL / not yet and what to fix.
package verify
