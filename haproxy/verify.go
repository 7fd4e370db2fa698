package haproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/okdctl/okdctl/bastion"
)

// Listeners are the addresses a load balancer for the cluster accepts on.
func Listeners(bindIP string, p Ports) map[string]string {
	hp := func(port int) string { return net.JoinHostPort(bindIP, strconv.Itoa(port)) }
	return map[string]string{
		"api": hp(p.API), "machine-config": hp(p.MachineConfig),
		"ingress-http": hp(p.IngressHTTP), "ingress-https": hp(p.IngressHTTPS), "stats": hp(p.Stats),
	}
}

// Verify checks that every listener accepts TCP connections. It needs only
// addresses, so it verifies an existing load balancer as well as okdctl's.
func Verify(ctx context.Context, bindIP string, p Ports) error {
	var errs []error
	for _, name := range []string{"api", "machine-config", "ingress-http", "ingress-https", "stats"} {
		addr := Listeners(bindIP, p)[name]
		if err := bastion.DialTCP(ctx, addr); err != nil {
			errs = append(errs, fmt.Errorf("listener %s (%s) does not accept: %w", name, addr, err))
		}
	}
	return errors.Join(errs...)
}
