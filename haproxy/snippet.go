package haproxy

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"github.com/okdctl/okdctl/templates"
)

// Frontends are the addresses of a site's load balancer (ports default to
// 6443, 22623, 80 and 443).
type Frontends struct {
	API, APIInt, Ingress                            string
	APIPort, MachineConfigPort, HTTPPort, HTTPSPort int
}

func (f Frontends) withDefaults() Frontends {
	f.APIPort = orDefault(f.APIPort, 6443)
	f.MachineConfigPort = orDefault(f.MachineConfigPort, 22623)
	f.HTTPPort = orDefault(f.HTTPPort, 80)
	f.HTTPSPort = orDefault(f.HTTPSPort, 443)
	if f.APIInt == "" {
		f.APIInt = f.API
	}
	return f
}

var snippetTmpl = template.Must(template.New("haproxy-snippet.cfg.tmpl").Funcs(template.FuncMap{
	"hostport": func(ip string, port int) string { return net.JoinHostPort(ip, strconv.Itoa(port)) },
}).ParseFS(templates.FS, "haproxy-snippet.cfg.tmpl"))

type snippetData struct {
	Input
	Prefix                 string
	APIBinds               []string
	MachineConfigBind      string
	IngressListeners       []ingressListener
	Ingress, IngressBackup []Server
	Interval               string
	Rise, Fall             int
}

type ingressListener struct {
	Name, Bind string
	Port       int
}

// RenderSnippet renders the listen sections a site's own HAProxy needs for
// the cluster (okdctl writes no haproxy.cfg when the load balancer is
// external): the same backends and health checks as okdctl's own file,
// bound to the site's frontend addresses. in.BindIP and in.Ports are not used.
func RenderSnippet(in Input, fe Frontends) ([]byte, error) {
	fe = fe.withDefaults()
	in.BindIP, in.Ports = fe.API, Ports{API: 1, MachineConfig: 2, IngressHTTP: 3, IngressHTTPS: 4, Stats: 5}
	if err := in.Validate(); err != nil {
		return nil, fmt.Errorf("failed to render the HAProxy snippet: %w", err)
	}
	for _, a := range []string{fe.API, fe.APIInt, fe.Ingress} {
		if _, err := netip.ParseAddr(a); err != nil {
			return nil, fmt.Errorf("failed to render the HAProxy snippet: the frontend %q is not an IP address", a)
		}
	}
	in = in.withDefaults()
	hp := func(ip string, port int) string { return net.JoinHostPort(ip, strconv.Itoa(port)) }
	d := snippetData{Input: in, Prefix: strings.ReplaceAll(strings.Split(in.Cluster, ".")[0], "_", "-"),
		APIBinds:          slices.Compact([]string{hp(fe.API, fe.APIPort), hp(fe.APIInt, fe.APIPort)}),
		MachineConfigBind: hp(fe.APIInt, fe.MachineConfigPort),
		IngressListeners: []ingressListener{{"ingress-http", hp(fe.Ingress, fe.HTTPPort), in.NodePorts.IngressHTTP},
			{"ingress-https", hp(fe.Ingress, fe.HTTPSPort), in.NodePorts.IngressHTTPS}},
		Ingress: in.Ingress(), IngressBackup: in.IngressBackup(), Interval: haDuration(in.Health.Interval),
		Rise: in.Health.Rise, Fall: in.Health.Fall}
	var b bytes.Buffer
	if err := snippetTmpl.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("failed to render the HAProxy snippet: %w", err)
	}
	return b.Bytes(), nil
}
