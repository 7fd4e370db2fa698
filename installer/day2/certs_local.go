package day2

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/okdctl/okdctl/ignition"
	"github.com/okdctl/okdctl/installer"
)

// files reads the certificates okdctl keeps in its state directory.
func (g *gather) files() {
	if !g.rc.Spec().RegistryEnabled() {
		return
	}
	for _, f := range []struct{ name, file string }{
		{"registry CA (okdctl's CA)", installer.FileCACert},
		{"registry server certificate", installer.FileRegistryCert},
	} {
		path := g.rc.StatePath(f.file)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			g.note("%s: %s does not exist yet (the registry phase makes it)", f.name, path)
			continue
		}
		g.addPEM(f.name, path, data, err, "")
	}
	g.kubeconfig()
}

func (g *gather) addPEM(name, where string, data []byte, err error, note string) {
	if err == nil {
		var c *x509.Certificate
		if c, err = parsePEM(data); err == nil {
			g.add(name, where, c, note)
			return
		}
	}
	g.unknown(name, where, err)
}

// kubeconfig reads the admin kubeconfig's client certificate and CA.
func (g *gather) kubeconfig() {
	path := g.rc.Kubeconfig()
	cfg, err := clientcmd.LoadFromFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		g.note("admin kubeconfig: %s does not exist yet (the ignition phase makes it)", path)
		return
	}
	if err != nil {
		g.unknown("admin kubeconfig", path, err)
		return
	}
	ctx, ok := cfg.Contexts[cfg.CurrentContext]
	if !ok {
		return
	}
	if auth := cfg.AuthInfos[ctx.AuthInfo]; auth != nil && len(auth.ClientCertificateData) > 0 {
		g.addPEM("admin kubeconfig client certificate", path, auth.ClientCertificateData, nil, "")
	}
	if cl := cfg.Clusters[ctx.Cluster]; cl != nil && len(cl.CertificateAuthorityData) > 0 {
		g.addPEM("admin kubeconfig CA (API server trust)", path, cl.CertificateAuthorityData, nil, "")
	}
}

// ignition judges bootstrap.ign's certificates by the 12 h / 24 h rules
// while the cluster has not bootstrapped; afterwards they no longer matter.
func (g *gather) ignition() {
	path := filepath.Join(g.rc.InstallDir(), "bootstrap.ign")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	name := "ignition certificates (bootstrap.ign, soonest of them)"
	if err != nil {
		g.unknown(name, path, err)
		return
	}
	w, err := ignition.CertExpiry(data)
	if err != nil {
		g.unknown(name, path, err)
		return
	}
	c := Cert{Name: name, Where: path, Subject: w.Subject, NotBefore: w.Issued.UTC(), NotAfter: w.Expires.UTC(),
		DaysLeft: roundDays(w.Expires.Sub(g.now))}
	useBy := w.Issued.Add(ignition.StaleAfter).UTC().Format(time.RFC3339)
	switch f := w.Check(g.now); {
	case installer.Bootstrapped(g.rc):
		c.Status, c.Note = CertUnused, "the cluster has bootstrapped: this ignition is no longer served"
	case f == ignition.Fresh:
		c.Status, c.Note = CertOK, fmt.Sprintf("made %s ago: boot every node before %s (12 h rule)", age(g.now, w.Issued), useBy)
	case f == ignition.Stale:
		c.Status, c.Flagged = CertStale, true
		c.Note = fmt.Sprintf("made %s ago, more than 12 h: okdctl apply makes new ignition", age(g.now, w.Issued))
	default:
		c.Status, c.Flagged = CertExpired, true
		c.Note = "expired: nodes booted from it cannot join; okdctl apply --force manifests makes new ignition"
	}
	g.rep.Certs = append(g.rep.Certs, c)
}

func age(now, t time.Time) string {
	return fmt.Sprint(now.Sub(t).Round(time.Minute))
}
