package haproxy

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"text/template"
	"time"

	"github.com/okdctl/okdctl/templates"
)

var cfgTmpl = template.Must(template.New("haproxy.cfg.tmpl").Funcs(template.FuncMap{
	"hostport": func(ip string, port int) string { return net.JoinHostPort(ip, strconv.Itoa(port)) },
}).ParseFS(templates.FS, "haproxy.cfg.tmpl"))

type cfgData struct {
	Input
	Ingress, IngressBackup              []Server
	IngressRole                         string
	Interval, Timeout, Removal, Connect string
	Rise, Fall                          int
}

// Render renders haproxy.cfg (pure: the same input gives the same bytes).
func Render(in Input) ([]byte, error) {
	if err := in.Validate(); err != nil {
		return nil, fmt.Errorf("failed to render haproxy.cfg: %w", err)
	}
	in = in.withDefaults()
	d := cfgData{Input: in, Ingress: in.Ingress(), IngressBackup: in.IngressBackup(),
		IngressRole: "workers; the masters are backups for routers still on them",
		Interval:    haDuration(in.Health.Interval), Timeout: haDuration(in.Health.Timeout),
		Removal: in.Health.Removal().String(), Connect: haDuration(ConnectTimeout), Rise: in.Health.Rise, Fall: in.Health.Fall}
	if len(in.Workers) == 0 {
		d.IngressRole = "masters, as there are no workers"
	}
	var b bytes.Buffer
	if err := cfgTmpl.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("failed to render haproxy.cfg: %w", err)
	}
	return b.Bytes(), nil
}

// haDuration writes a duration in HAProxy's units ("5s", "200ms").
func haDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}
