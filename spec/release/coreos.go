package release

import (
	"fmt"
	"net/url"
	"path"
	"strings"
)

// Stream is a CoreOS operating-system stream.
type Stream string

// The CoreOS streams an OpenShift 4 release boots.
const (
	// StreamUnknown is a file whose name says nothing about its stream.
	StreamUnknown Stream = ""
	FCOS          Stream = "fcos"
	SCOS          Stream = "scos"
	RHCOS         Stream = "rhcos"
)

// String is the stream's full name with its short name.
func (s Stream) String() string {
	switch s {
	case FCOS:
		return "Fedora CoreOS (FCOS)"
	case SCOS:
		return "CentOS Stream CoreOS (SCOS)"
	case RHCOS:
		return "Red Hat CoreOS (RHCOS)"
	}
	return "an unknown CoreOS"
}

// example is a metal image file name of the stream, for messages.
func (s Stream) example() string {
	switch s {
	case FCOS:
		return "fedora-coreos-39.20231101.3.0-metal.x86_64.raw.xz"
	case SCOS:
		return "scos-9.0.20250411-0-metal.x86_64.raw.gz"
	case RHCOS:
		return "rhcos-4.14.34-x86_64-metal.x86_64.raw.gz"
	}
	return ""
}

// Boot is the CoreOS a release's nodes boot, and what they become.
type Boot struct {
	// Stream is the CoreOS the boot media must carry.
	Stream Stream
	// PivotsTo is the stream the nodes rebase to after their first boot
	// (OKD 4.16-4.18: FCOS media, SCOS nodes), or StreamUnknown.
	PivotsTo Stream
}

// CoreOSBoot is the one place that says which CoreOS a release boots.
//
// Sources (see also REFERENCE.md §6):
//   - OKD up to 4.15 (quay.io/openshift/okd) is built on Fedora CoreOS;
//     openshift/installer's data/data/coreos/fcos.json pins its boot image.
//     OKD/SCOS builds of 4.12-4.15 (quay.io/okd/scos-release) boot CentOS
//     Stream CoreOS (their installer pins scos-4xx.9x.*-metal images).
//   - OKD 4.16-4.18 (quay.io/okd/scos-release) still boots the Fedora CoreOS
//     image its installer pins, and the machine-config operator rebases the
//     nodes onto CentOS Stream CoreOS on first boot; the rebased kernel is
//     not signed for UEFI Secure Boot, so Secure Boot must be off
//     (okd-project/okd 4.16 release notes).
//   - OKD 4.19 and later boots CentOS Stream CoreOS directly
//     (scos-<version>-metal.x86_64.raw.gz in the installer's stream JSON).
//   - OpenShift Container Platform boots Red Hat Enterprise Linux CoreOS
//     (rhcos-*-metal.x86_64.raw.gz), every 4.x release.
//
// A release under a neutral name (ProductUnknown) is taken as OKD.
func CoreOSBoot(p Product, v Version) Boot {
	switch {
	case p == OCP:
		return Boot{Stream: RHCOS}
	case v.Less(4, 16) && p == OKDSCOS:
		return Boot{Stream: SCOS}
	case v.Less(4, 16):
		return Boot{Stream: FCOS}
	case v.Less(4, 19):
		return Boot{Stream: FCOS, PivotsTo: SCOS}
	}
	return Boot{Stream: SCOS}
}

// StreamOf tells the stream from an image file name or URL (the file name
// first, then the rest of the URL); StreamUnknown when it says nothing.
func StreamOf(image string) Stream {
	base, rest := strings.ToLower(image), ""
	if u, err := url.Parse(image); err == nil && u.Host != "" {
		base, rest = strings.ToLower(path.Base(u.Path)), strings.ToLower(u.Host+u.Path)
	} else {
		base = path.Base(base)
	}
	if s := streamOfName(base); s != StreamUnknown {
		return s
	}
	switch {
	case strings.Contains(rest, "fedoraproject.org"):
		return FCOS
	case strings.Contains(rest, "/streams/c9s/"), strings.Contains(rest, "/streams/c10s/"):
		return SCOS
	case strings.Contains(rest, "/rhcos/"), strings.Contains(rest, "/dependencies/rhcos"):
		return RHCOS
	}
	return StreamUnknown
}

func streamOfName(name string) Stream {
	prefixed := func(prefixes ...string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(name, p+"-") || strings.HasPrefix(name, p+".") || strings.HasPrefix(name, p+"_") {
				return true
			}
		}
		return false
	}
	switch {
	case prefixed("fedora-coreos", "fcos"):
		return FCOS
	case prefixed("scos", "centos-stream-coreos"):
		return SCOS
	case prefixed("rhcos"):
		return RHCOS
	}
	return StreamUnknown
}

// CheckCoreOS compares the CoreOS image the spec names with the stream the
// release boots. A clear mismatch is an error naming the needed stream; a
// name that says nothing is a warning (a renamed file may be right).
// notes are things to tell the user either way (Secure Boot for 4.16-4.18).
func CheckCoreOS(p Product, v Version, image string) (warning string, notes []string, err error) {
	boot := CoreOSBoot(p, v)
	if boot.PivotsTo != StreamUnknown {
		notes = append(notes, fmt.Sprintf("release %s boots %s and its nodes pivot to %s after the first boot: turn UEFI Secure Boot off on every node (the pivoted kernel is not signed for it)", v, boot.Stream, boot.PivotsTo))
	}
	got := StreamOf(image)
	switch {
	case got == StreamUnknown:
		warning = fmt.Sprintf("cannot tell which CoreOS %s is from its name: release %s boots %s (for example %s); make sure it is that", image, v, boot.Stream, boot.Stream.example())
	case got == boot.Stream:
	case got == boot.PivotsTo:
		warning = fmt.Sprintf("%s is %s: release %s's installer pins %s boot media and pivots the nodes to %s itself, so booting %s directly is not how the release installs; prefer the %s image `openshift-install coreos print-stream-json` lists", image, got, v, boot.Stream, got, got, boot.Stream)
	case p == ProductUnknown && got == RHCOS:
		// a mirror's neutral name: OCP boots RHCOS, OKD does not
		warning = fmt.Sprintf("%s is %s, which only OCP releases boot, and the release image's name does not say OCP: if release %s is OKD, use %s", image, got, v, boot.Stream)
	case p == ProductUnknown && v.Less(4, 16) && got == SCOS:
		// OKD 4.12-4.15 comes as FCOS and SCOS builds; a neutral name hides which
	default:
		err = fmt.Errorf("%s is %s, but release %s (%s) boots %s: use its metal image (for example %s; `openshift-install coreos print-stream-json` lists the exact one)", image, got, v, p, boot.Stream, boot.Stream.example())
	}
	return warning, notes, err
}
