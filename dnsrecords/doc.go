// Package dnsrecords is the cluster's DNS as CoreDNS serves it from etcd: the
// record set a UPI cluster needs, its skydns key encoding, the one-transaction
// etcd sync that touches only the keys okdctl wrote, the Corefile, and the
// verification of every record through a running server with miekg/dns.
package dnsrecords
