package release

import (
	"fmt"
	"regexp"
	"strconv"
)

// Version is a release's major.minor.
type Version struct {
	Major, Minor int
}

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Less reports whether v is older than x.y.
func (v Version) Less(major, minor int) bool {
	return v.Major < major || (v.Major == major && v.Minor < minor)
}

// AtLeast reports whether v is x.y or newer.
func (v Version) AtLeast(major, minor int) bool { return !v.Less(major, minor) }

var versionRE = regexp.MustCompile(`^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$`)

// Parse reads "4.5", "4.14.3" or "4.5.0-0.okd-2020-07-14-153706-ga".
func Parse(s string) (Version, error) {
	m := versionRE.FindStringSubmatch(s)
	if m == nil {
		return Version{}, fmt.Errorf("%q is not a release version such as 4.14", s)
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	if major != 4 {
		return Version{}, fmt.Errorf("release %d.%d is not an OpenShift 4 release", major, minor)
	}
	return Version{major, minor}, nil
}

var tagRE = regexp.MustCompile(`:([^:/@]+)(?:@sha256:[0-9a-f]{64})?$`)

// FromImage takes the version from a release image's tag.
func FromImage(image string) (Version, error) {
	m := tagRE.FindStringSubmatch(image)
	if m == nil {
		return Version{}, fmt.Errorf("the release image %q has no tag to take the version from", image)
	}
	return Parse(m[1])
}

// MirrorField is the install-config field that carries mirror sources.
func (v Version) MirrorField() string {
	if v.AtLeast(4, 14) {
		return "imageDigestSources"
	}
	return "imageContentSources"
}

// NeedsEtcdRecords reports whether the cluster needs etcd-N and the
// _etcd-server-ssl._tcp SRV records (4.3 and older).
func (v Version) NeedsEtcdRecords() bool { return v.Less(4, 4) }

// NeedsEtcdOverride reports whether a single control-plane node needs the
// unsupported etcd override (4.5-4.7); later releases size themselves.
func (v Version) NeedsEtcdOverride() bool { return v.Less(4, 8) }

// WaitsForEtcdBootstrapRemoval reports whether bootstrap-complete also
// waits for the etcd EtcdBootstrapMemberRemoved condition.
func (v Version) WaitsForEtcdBootstrapRemoval() bool { return v.AtLeast(4, 6) }

// DefaultNetworkType is the network plugin the release installs by default.
func (v Version) DefaultNetworkType() string {
	if v.Less(4, 12) {
		return "OpenShiftSDN"
	}
	return "OVNKubernetes"
}

// SupportsNetworkType reports whether the release can install a plugin.
func (v Version) SupportsNetworkType(t string) bool {
	switch t {
	case "OpenShiftSDN":
		return v.Less(4, 17)
	case "OVNKubernetes":
		return true
	}
	return false
}

// HasStreamMetadata reports whether `openshift-install coreos print-stream-json` exists.
func (v Version) HasStreamMetadata() bool { return v.AtLeast(4, 8) }

// HasTopology reports whether openshift-install derives the control-plane
// and infrastructure topologies (4.8+): compute replicas 1 then gives one
// router, while older releases need the default IngressController sized by hand.
func (v Version) HasTopology() bool { return v.AtLeast(4, 8) }
