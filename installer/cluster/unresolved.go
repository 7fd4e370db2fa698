package cluster

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// unresolvedName follows a wait's errors: once the API's name has had no
// such host for Timeout in a row, failed says so, naming DNS (the
// bastion's resolver), not the load balancer or the nodes.
type unresolvedName struct {
	Timeout time.Duration
	since   time.Time
	failed  error
}

// see notes one attempt's error and reports whether the wait must end.
func (u *unresolvedName) see(err error) bool {
	name, ok := noSuchHost(err)
	if !ok {
		u.since = time.Time{}
		return false
	}
	if u.since.IsZero() {
		u.since = time.Now()
	}
	if time.Since(u.since) < u.Timeout {
		return false
	}
	u.failed = fmt.Errorf("failed to reach the Kubernetes API: the bastion cannot resolve %s (no such host for %s): "+
		"its resolver does not ask okdctl's DNS; run `okdctl apply --force dns`, and check `getent hosts %s` and `resolvectl status` (or /etc/resolv.conf)",
		name, u.Timeout.Round(time.Second), name)
	return true
}

// noSuchHost reports a lookup that found no such name, and the name.
func noSuchHost(err error) (string, bool) {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return dnsErr.Name, true
	}
	return "", false
}
