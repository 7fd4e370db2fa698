package release

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Product is the distribution a release image belongs to.
type Product int

// The products okdctl tells apart.
const (
	// ProductUnknown is a release under a neutral name (a mirror's own
	// repository); okdctl treats it as OKD where it must choose.
	ProductUnknown Product = iota
	// OKD is OKD on Fedora CoreOS (quay.io/openshift/okd, up to 4.15).
	OKD
	// OKDSCOS is OKD on CentOS Stream CoreOS (quay.io/okd/scos-release).
	OKDSCOS
	OCP
)

func (p Product) String() string {
	switch p {
	case OKD:
		return "OKD"
	case OKDSCOS:
		return "OKD/SCOS"
	case OCP:
		return "OCP"
	}
	return "unknown"
}

// ProductOf tells OKD from OCP by the release image's repository and tag
// (and by a full version string when one is known, such as the one a
// release's own metadata carries):
// quay.io/openshift-release-dev/ocp-release:4.14.3-x86_64 is OCP;
// quay.io/okd/scos-release:4.16.0-okd-scos.0 (or any "scos" tag) is OKD/SCOS;
// quay.io/openshift/okd:4.15.0-0.okd-... and any "okd" tag are OKD.
func ProductOf(image, fullVersion string) Product {
	repo, tag := splitImage(strings.ToLower(image))
	full := strings.ToLower(fullVersion)
	switch {
	case strings.Contains(repo, "ocp-release"), strings.Contains(repo, "openshift-release-dev"):
		return OCP
	case strings.Contains(repo, "scos"), strings.Contains(tag, "scos"), strings.Contains(full, "scos"):
		return OKDSCOS
	case strings.Contains(repo, "okd"), strings.Contains(tag, "okd"), strings.Contains(full, "okd"):
		return OKD
	}
	return ProductUnknown
}

// splitImage returns an image reference's repository and tag ("" when
// pinned by digest only).
func splitImage(image string) (repo, tag string) {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image[:i], image[i+1:]
	}
	return image, ""
}

// PinnedDigest is the image reference's sha256 digest, or "".
func PinnedDigest(image string) string {
	if i := strings.Index(image, "@"); i >= 0 {
		return image[i+1:]
	}
	return ""
}

// Newest is the newest release line okdctl knows; newer releases install
// with the rules of this one, and okdctl warns.
var Newest = Version{4, 20}

// Oldest is the first line of the release matrix okdctl prints.
var Oldest = Version{4, 5}

var leadingVersionRE = regexp.MustCompile(`^v?(\d+)\.(\d+)`)

// tagVersion reads major.minor from the start of an image tag; ok is false
// when the tag does not start with a version (latest, stable-4, ...).
func tagVersion(image string) (major, minor int, ok bool) {
	_, tag := splitImage(image)
	m := leadingVersionRE.FindStringSubmatch(tag)
	if m == nil {
		return 0, 0, false
	}
	return atoi(m[1]), atoi(m[2]), true
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// Problem is one finding about the spec's release, on a spec field.
type Problem struct {
	Field   string
	Message string
	// Warning problems do not stop an install.
	Warning bool
}

func (p Problem) Error() string { return p.Field + ": " + p.Message }

// SpecRelease is what a spec says about its release.
type SpecRelease struct {
	Image   string
	Version string // spec.release.version, may be empty
	// PullSecret reports whether spec.pullSecretFile is set.
	PullSecret bool
}

// Resolve derives the release's x.y from the spec (its version, else the
// image tag) and checks the release's kind: OpenShift 3 is refused, a tag
// that contradicts spec.release.version is an error, OCP needs a pull
// secret, and a release newer than Newest is a warning. known is false when
// the version cannot be derived; a digest-pinned image then needs its own
// metadata (ReadFacts) and is no problem here.
func (s SpecRelease) Resolve() (v Version, known bool, problems []Problem) {
	add := func(field, format string, args ...any) {
		problems = append(problems, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	tagMajor, tagMinor, tagged := tagVersion(s.Image)
	if tagged && tagMajor == 3 {
		add("spec.release.image", msgOpenShift3, s.Image, tagMajor, tagMinor)
		return v, false, problems
	}
	switch {
	case s.Version != "":
		if m := leadingVersionRE.FindStringSubmatch(s.Version); m != nil && m[1] == "3" {
			add("spec.release.version", msgOpenShift3, "spec.release.version "+s.Version, 3, atoi(m[2]))
			return v, false, problems
		}
		var err error
		if v, err = Parse(s.Version); err != nil {
			add("spec.release.version", msgBadVersion, err)
			return v, false, problems
		}
		if tagged && (tagMajor != v.Major || tagMinor != v.Minor) {
			add("spec.release.version", msgTagDisagrees, s.Version, s.Image, tagMajor, tagMinor)
		}
	case tagged:
		v = Version{tagMajor, tagMinor}
		if tagMajor != 4 {
			add("spec.release.image", msgNotFour, s.Image, tagMajor, tagMinor)
			return v, false, problems
		}
	case PinnedDigest(s.Image) != "":
		// read from the image's own metadata before anything runs
	default:
		if s.Image != "" {
			add("spec.release.version", msgNoVersion, s.Image)
		}
	}
	known = v.Major == 4
	if ProductOf(s.Image, s.Version) == OCP && !s.PullSecret {
		add("spec.pullSecretFile", msgOCPPullSecret, s.Image)
	}
	if known {
		problems = append(problems, v.lineProblems()...)
	}
	return v, known, problems
}

// lineProblems checks a version against the matrix okdctl knows.
func (v Version) lineProblems() []Problem {
	if Newest.Less(v.Major, v.Minor) {
		return []Problem{{Field: "spec.release.version", Warning: true, Message: fmt.Sprintf(msgTooNew, v, Newest, Newest)}}
	}
	return nil
}

// CheckFacts compares what the release image says about itself with the
// version the spec states (spec.release.version, else the tag): a
// different x.y is an error naming both.
func (s SpecRelease) CheckFacts(f *Facts) error {
	if f == nil || f.Version == "" {
		return nil
	}
	got, err := Parse(f.Version)
	if err != nil {
		return fmt.Errorf("the release image %s says it is %q, which is not an OpenShift 4 release: is it a release image?", s.Image, f.Version)
	}
	stated, field := s.Version, "spec.release.version"
	if stated == "" {
		if major, minor, ok := tagVersion(s.Image); ok {
			stated, field = fmt.Sprintf("%d.%d", major, minor), "the image tag"
		}
	}
	if stated == "" {
		return nil
	}
	want, err := Parse(stated)
	if err != nil || want == got {
		return nil
	}
	return fmt.Errorf("%s says %s but the release image %s is %s (its %s): set spec.release.version to %s, or name the release you meant", field, stated, s.Image, f.Version, f.Source, got)
}

var fullTagRE = regexp.MustCompile(`^v?\d+\.\d+\.\d+`)

// FullVersionOf is the full release version an image tag names
// (4.15.0-0.okd-2024-03-10-010116, 4.14.3 from 4.14.3-x86_64), or "" when
// the tag is x.y only, not a version, or absent.
func FullVersionOf(image string) string {
	_, tag := splitImage(image)
	if !fullTagRE.MatchString(tag) {
		return ""
	}
	for _, arch := range []string{"-x86_64", "-aarch64", "-arm64", "-s390x", "-ppc64le", "-multi"} {
		tag = strings.TrimSuffix(tag, arch)
	}
	return strings.TrimPrefix(tag, "v")
}
