// Package templates embeds the text templates okdctl renders onto the
// bastion (Corefile, haproxy.cfg, nginx.conf, units). Renderers in the
// service packages read them from FS; output is deterministic.
package templates
