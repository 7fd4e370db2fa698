// Package resolver makes a bastion resolve its own cluster's names through
// okdctl's DNS, the way the host already manages its resolver:
// systemd-resolved (a per-link DNS server with the routing domain
// ~<cluster domain>, as a systemd-networkd drop-in; a global routing domain
// when the link has DNS servers of its own), NetworkManager (the
// connection's own DNS settings) or, failing both, a marked block in
// /etc/resolv.conf. Names outside the cluster resolve as before; Remove
// undoes exactly what Ensure did.
package resolver
