package release

import "fmt"

// Line is one line of the release matrix: releases From..To that install
// the same way.
type Line struct {
	From, To Version
	// MirrorField is the install-config field for mirror sources.
	MirrorField string
	// CoreOS is what OKD nodes boot (OCP always boots RHCOS).
	CoreOS string
	// NetworkType is the default network plugin.
	NetworkType string
	// SingleMaster says how one control-plane node is supported.
	SingleMaster string
}

// Releases is the release span, "4.8-4.11" or "4.20+" for the last line.
func (l Line) Releases() string {
	switch {
	case l.To == Newest:
		return l.From.String() + "+"
	case l.From == l.To:
		return l.From.String()
	}
	return fmt.Sprintf("%s-%s", l.From, l.To)
}

// row is what one release answers, in the matrix's columns.
func (v Version) row() Line {
	l := Line{From: v, To: v, MirrorField: v.MirrorField(), NetworkType: v.DefaultNetworkType()}
	boot := CoreOSBoot(OKD, v)
	l.CoreOS = string(boot.Stream)
	if v.AtLeast(4, 12) && v.Less(4, 16) {
		l.CoreOS += " (scos-release: scos)"
	}
	if boot.PivotsTo != StreamUnknown {
		l.CoreOS += ", pivots to " + string(boot.PivotsTo) + " (Secure Boot off)"
	}
	if v.HasStreamMetadata() {
		l.CoreOS += " from print-stream-json"
	}
	l.SingleMaster = "automatic (SingleReplica topology)"
	if v.NeedsEtcdOverride() {
		l.SingleMaster = "etcd unsupportedConfigOverrides, removed after install"
	}
	if !v.SupportsNetworkType("OpenShiftSDN") {
		l.NetworkType += " (OpenShiftSDN removed)"
	}
	return l
}

// Matrix is the release matrix okdctl knows, from Oldest to Newest, with
// consecutive releases that answer alike on one line. It is computed from
// the same methods the install uses, so it cannot drift from them.
func Matrix() []Line {
	var lines []Line
	for minor := Oldest.Minor; minor <= Newest.Minor; minor++ {
		r := Version{4, minor}.row()
		if n := len(lines); n > 0 && sameRow(lines[n-1], r) {
			lines[n-1].To = r.To
			continue
		}
		lines = append(lines, r)
	}
	return lines
}

func sameRow(a, b Line) bool {
	a.From, a.To, b.From, b.To = Version{}, Version{}, Version{}, Version{}
	return a == b
}
