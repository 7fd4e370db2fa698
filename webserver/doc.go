// Package webserver serves what the nodes fetch over HTTP from the bastion: a
// dedicated nginx (okdctl-nginx) that publishes only /ignition/ and
// /install/ from the web root, the placement of the CoreOS media there
// (hard link, copy, or one resumable, checksummed download), and the
// verification that every published file is served byte for byte.
package webserver
