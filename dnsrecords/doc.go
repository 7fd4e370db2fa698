// Package dnsrecords is the cluster's DNS: the record set a UPI cluster
// needs; served by okdctl's own CoreDNS from etcd (skydns keys, a
// one-transaction sync that touches only the keys okdctl wrote, the
// Corefile), or kept on an existing authoritative server through RFC 2136
// dynamic updates signed with TSIG (Updater), or handed over as BIND zone
// fragments and dnsmasq options; and the verification of every record
// through a running server with miekg/dns.
package dnsrecords
