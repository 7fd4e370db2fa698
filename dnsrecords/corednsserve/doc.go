// Package corednsserve runs the bastion's CoreDNS inside okdctl (`okdctl
// serve coredns -conf Corefile`), embedded the way CoreDNS documents it for
// hosts (core/dnsserver): only the plugins okdctl's Corefile uses are linked
// and enabled, in CoreDNS's own plugin.cfg order, and SIGUSR1 reloads the
// Corefile in place as it does for the coredns program.
package corednsserve
