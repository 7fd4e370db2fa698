package release

import (
	"regexp"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	const okd = "quay.io/openshift/okd:4.15.0-0.okd-2024-03-10-010116"
	pinned := "quay.io/openshift/okd@sha256:" + strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name  string
		in    SpecRelease
		want  string // x.y, or "" when unknown
		probs []string
	}{
		{"okd tag", SpecRelease{Image: okd}, "4.15", nil},
		{"version agrees with tag", SpecRelease{Image: okd, Version: "4.15"}, "4.15", nil},
		{"tag disagrees with version", SpecRelease{Image: okd, Version: "4.12"}, "4.12",
			[]string{`^error spec\.release\.version: "4\.12" disagrees with the release image quay\.io/openshift/okd:4\.15\.0-0\.okd-2024-03-10-010116, whose tag is release 4\.15: fix`}},
		{"digest pinned without version", SpecRelease{Image: pinned}, "", nil},
		{"digest pinned with version", SpecRelease{Image: pinned, Version: "4.14"}, "4.14", nil},
		{"tag says nothing", SpecRelease{Image: "quay.io/openshift/okd:latest"}, "",
			[]string{`^error spec\.release\.version: cannot tell the release version from the image "quay\.io/openshift/okd:latest": set spec\.release\.version .*or pin the image by digest`}},
		{"openshift 3 image", SpecRelease{Image: "docker.io/openshift/okd:3.11.0"}, "",
			[]string{`^error spec\.release\.image: docker\.io/openshift/okd:3\.11\.0 is an OpenShift 3\.11 release: OpenShift 3\.x is not supported`}},
		{"openshift 3 origin v-tag", SpecRelease{Image: "docker.io/openshift/origin-release:v3.11"}, "",
			[]string{`^error spec\.release\.image: .* OpenShift 3\.x is not supported`}},
		{"openshift 3 version", SpecRelease{Image: pinned, Version: "3.11"}, "",
			[]string{`^error spec\.release\.version: spec\.release\.version 3\.11 is an OpenShift 3\.11 release: OpenShift 3\.x is not supported`}},
		{"openshift 5 tag", SpecRelease{Image: "quay.io/x/release:5.0.1"}, "",
			[]string{`^error spec\.release\.image: .* is release 5\.0, not an OpenShift 4 release`}},
		{"bad version", SpecRelease{Image: okd, Version: "four"}, "",
			[]string{`^error spec\.release\.version: "four" is not a release version`}},
		{"ocp without pull secret", SpecRelease{Image: "quay.io/openshift-release-dev/ocp-release:4.14.3-x86_64"}, "4.14",
			[]string{`^error spec\.pullSecretFile: quay\.io/openshift-release-dev/ocp-release:4\.14\.3-x86_64 is an OpenShift Container Platform \(OCP\) release, which needs a pull secret: download yours from console\.redhat\.com`}},
		{"ocp with pull secret", SpecRelease{Image: "quay.io/openshift-release-dev/ocp-release:4.14.3-x86_64", PullSecret: true}, "4.14", nil},
		{"newest known", SpecRelease{Image: "quay.io/okd/scos-release:4.20.0-okd-scos.3"}, "4.20", nil},
		{"newer than known", SpecRelease{Image: "quay.io/okd/scos-release:4.22.0-okd-scos.1"}, "4.22",
			[]string{`^warning spec\.release\.version: release 4\.22 is newer than 4\.20, the newest release okdctl knows: it is installed with 4\.20's rules`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, known, probs := tc.in.Resolve()
			if got := ""; known {
				got = v.String()
				if got != tc.want {
					t.Errorf("version %s, want %s", got, tc.want)
				}
			} else if tc.want != "" {
				t.Errorf("version unknown, want %s", tc.want)
			}
			if len(probs) != len(tc.probs) {
				t.Fatalf("problems %v, want %d", probs, len(tc.probs))
			}
			for i, p := range probs {
				kind := "error"
				if p.Warning {
					kind = "warning"
				}
				if s := kind + " " + p.Error(); !regexp.MustCompile(tc.probs[i]).MatchString(s) {
					t.Errorf("problem\n  %s\ndoes not match\n  %s", s, tc.probs[i])
				}
			}
		})
	}
}

func TestProductOf(t *testing.T) {
	t.Parallel()
	for image, want := range map[string]Product{
		"quay.io/openshift-release-dev/ocp-release:4.14.3-x86_64":                     OCP,
		"quay.io/openshift-release-dev/ocp-release@sha256:" + strings.Repeat("a", 64): OCP,
		"quay.io/openshift/okd:4.15.0-0.okd-2024-03-10-010116":                        OKD,
		"quay.io/okd/scos-release:4.16.0-okd-scos.0":                                  OKDSCOS,
		"registry.lab:5000/mirror/release:4.15.0-0.okd-scos-2024-01-18-223523":        OKDSCOS,
		"registry.lab:5000/mirror/release:4.15.0-0.okd-2024-03-10-010116":             OKD,
		"registry.lab:5000/mirror/release@sha256:" + strings.Repeat("a", 64):          ProductUnknown,
	} {
		if got := ProductOf(image, ""); got != want {
			t.Errorf("ProductOf(%s) = %s, want %s", image, got, want)
		}
	}
	if got := ProductOf("registry.lab:5000/mirror/release@sha256:"+strings.Repeat("a", 64), "4.16.0-okd-scos.0"); got != OKDSCOS {
		t.Errorf("the full version does not tell OKD/SCOS: %s", got)
	}
}

func TestStreamOf(t *testing.T) {
	t.Parallel()
	for image, want := range map[string]Stream{
		"https://builds.coreos.fedoraproject.org/prod/streams/stable/builds/39.20231101.3.0/x86_64/fedora-coreos-39.20231101.3.0-metal.x86_64.raw.xz": FCOS,
		"/srv/images/fedora-coreos-39.20231101.3.0-metal.x86_64.raw.xz":                                                                               FCOS,
		"https://rhcos.mirror.openshift.com/art/storage/prod/streams/c9s/builds/9.0.20250411-0/x86_64/scos-9.0.20250411-0-metal.x86_64.raw.gz":        SCOS,
		"scos-416-metal.x86_64.raw.gz": SCOS,
		"https://mirror.openshift.com/pub/openshift-v4/dependencies/rhcos/4.14/latest/rhcos-4.14.34-x86_64-metal.x86_64.raw.gz": RHCOS,
		"/srv/images/RHCOS-4.14-metal.raw.gz": RHCOS,
		"https://example.invalid/fcos.raw.xz": FCOS,
		"/srv/scosfoo-metal.raw.gz":           StreamUnknown,
		// the name says nothing, the URL does
		"https://builds.coreos.fedoraproject.org/prod/streams/stable/builds/39/x86_64/metal.raw.xz": FCOS,
		"https://mirror.openshift.com/pub/openshift-v4/dependencies/rhcos/4.14/latest/metal.raw.gz": RHCOS,
		// nothing to go by
		"files/sandbox-coreos-metal.x86_64.raw.xz": StreamUnknown,
		"http://192.168.140.5:8000/metal.raw.gz":   StreamUnknown,
	} {
		if got := StreamOf(image); got != want {
			t.Errorf("StreamOf(%s) = %q, want %q", image, got, want)
		}
	}
}

func TestCheckCoreOS(t *testing.T) {
	t.Parallel()
	const (
		fcos  = "https://builds.coreos.fedoraproject.org/prod/streams/stable/builds/39.20231101.3.0/x86_64/fedora-coreos-39.20231101.3.0-metal.x86_64.raw.xz"
		scos  = "/srv/images/scos-9.0.20250411-0-metal.x86_64.raw.gz"
		rhcos = "/srv/images/rhcos-4.14.34-x86_64-metal.x86_64.raw.gz"
		plain = "/srv/images/metal.raw.gz"
	)
	for _, tc := range []struct {
		name      string
		p         Product
		v         Version
		image     string
		err, warn string
		secure    bool // the Secure Boot note
	}{
		{"okd 4.15 fcos", OKD, Version{4, 15}, fcos, "", "", false},
		{"okd 4.5 fcos", OKD, Version{4, 5}, fcos, "", "", false},
		{"okd 4.15 scos", OKD, Version{4, 15}, scos, `^/srv/images/scos-9\.0\.20250411-0-metal\.x86_64\.raw\.gz is CentOS Stream CoreOS \(SCOS\), but release 4\.15 \(OKD\) boots Fedora CoreOS \(FCOS\): use its metal image \(for example fedora-coreos-`, "", false},
		{"okd/scos 4.15 scos", OKDSCOS, Version{4, 15}, scos, "", "", false},
		{"okd/scos 4.15 fcos", OKDSCOS, Version{4, 15}, fcos, `boots CentOS Stream CoreOS \(SCOS\)`, "", false},
		{"okd 4.16 fcos pivots", OKDSCOS, Version{4, 16}, fcos, "", "", true},
		{"okd 4.18 fcos pivots", OKDSCOS, Version{4, 18}, fcos, "", "", true},
		{"okd 4.17 scos directly", OKDSCOS, Version{4, 17}, scos, "", `pins Fedora CoreOS \(FCOS\) boot media and pivots the nodes`, true},
		{"okd 4.16 rhcos", OKDSCOS, Version{4, 16}, rhcos, `is Red Hat CoreOS \(RHCOS\), but release 4\.16 \(OKD/SCOS\) boots Fedora CoreOS \(FCOS\)`, "", true},
		{"okd 4.19 scos", OKDSCOS, Version{4, 19}, scos, "", "", false},
		{"okd 4.19 fcos", OKDSCOS, Version{4, 19}, fcos, `boots CentOS Stream CoreOS \(SCOS\): use its metal image \(for example scos-`, "", false},
		{"ocp rhcos", OCP, Version{4, 14}, rhcos, "", "", false},
		{"ocp fcos", OCP, Version{4, 14}, fcos, `release 4\.14 \(OCP\) boots Red Hat CoreOS \(RHCOS\)`, "", false},
		{"renamed file", OKD, Version{4, 15}, plain, "", `^cannot tell which CoreOS /srv/images/metal\.raw\.gz is from its name: release 4\.15 boots Fedora CoreOS \(FCOS\)`, false},
		{"neutral release rhcos", ProductUnknown, Version{4, 15}, rhcos, "", `only OCP releases boot`, false},
		{"neutral release 4.15 scos", ProductUnknown, Version{4, 15}, scos, "", "", false},
		{"neutral release 4.19 fcos", ProductUnknown, Version{4, 19}, fcos, `boots CentOS Stream CoreOS`, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			warn, notes, err := CheckCoreOS(tc.p, tc.v, tc.image)
			match(t, "error", errString(err), tc.err)
			match(t, "warning", warn, tc.warn)
			secure := strings.Contains(strings.Join(notes, "\n"), "turn UEFI Secure Boot off")
			if secure != tc.secure {
				t.Errorf("Secure Boot note %v, want %v (notes %q)", secure, tc.secure, notes)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// match checks got against an anchored-or-not regexp; "" wants "".
func match(t *testing.T, what, got, want string) {
	t.Helper()
	if want == "" {
		if got != "" {
			t.Errorf("unexpected %s: %s", what, got)
		}
		return
	}
	if !regexp.MustCompile(want).MatchString(got) {
		t.Errorf("%s %q does not match %q", what, got, want)
	}
}

func TestCheckFacts(t *testing.T) {
	t.Parallel()
	okd := "quay.io/openshift/okd:4.15.0-0.okd-2024-03-10-010116"
	pinned := "quay.io/openshift/okd@sha256:" + strings.Repeat("ab", 32)
	facts := func(v string) *Facts { return &Facts{Version: v, Source: MetadataPath} }
	for _, tc := range []struct {
		name string
		spec SpecRelease
		f    *Facts
		err  string
	}{
		{"agrees with tag", SpecRelease{Image: okd}, facts("4.15.0-0.okd-2024-03-10-010116"), ""},
		{"agrees with version", SpecRelease{Image: pinned, Version: "4.15"}, facts("4.15.0-0.okd-2024-03-10-010116"), ""},
		{"not read", SpecRelease{Image: okd, Version: "4.15"}, nil, ""},
		{"pinned, no version: nothing to compare", SpecRelease{Image: pinned}, facts("4.14.0-0.okd-2024-01-26-175629"), ""},
		{"version disagrees", SpecRelease{Image: pinned, Version: "4.15"}, facts("4.14.0-0.okd-2024-01-26-175629"),
			`^spec\.release\.version says 4\.15 but the release image quay\.io/openshift/okd@sha256:abab[a-f0-9]+ is 4\.14\.0-0\.okd-2024-01-26-175629 \(its release-manifests/release-metadata\): set spec\.release\.version to 4\.14`},
		{"tag lies", SpecRelease{Image: okd}, facts("4.16.0-okd-scos.0"), `^the image tag says 4\.15 but the release image .* is 4\.16\.0-okd-scos\.0`},
		{"not a release", SpecRelease{Image: okd}, facts("latest"), `says it is "latest", which is not an OpenShift 4 release`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			match(t, "error", errString(tc.spec.CheckFacts(tc.f)), tc.err)
		})
	}
}

func TestMatrix(t *testing.T) {
	t.Parallel()
	lines := Matrix()
	var got []string
	for _, l := range lines {
		got = append(got, l.Releases()+" | "+l.MirrorField+" | "+l.CoreOS+" | "+l.NetworkType+" | "+l.SingleMaster)
	}
	want := []string{
		"4.5-4.7 | imageContentSources | fcos | OpenShiftSDN | etcd unsupportedConfigOverrides, removed after install",
		"4.8-4.11 | imageContentSources | fcos from print-stream-json | OpenShiftSDN | automatic (SingleReplica topology)",
		"4.12-4.13 | imageContentSources | fcos (scos-release: scos) from print-stream-json | OVNKubernetes | automatic (SingleReplica topology)",
		"4.14-4.15 | imageDigestSources | fcos (scos-release: scos) from print-stream-json | OVNKubernetes | automatic (SingleReplica topology)",
		"4.16 | imageDigestSources | fcos, pivots to scos (Secure Boot off) from print-stream-json | OVNKubernetes | automatic (SingleReplica topology)",
		"4.17-4.18 | imageDigestSources | fcos, pivots to scos (Secure Boot off) from print-stream-json | OVNKubernetes (OpenShiftSDN removed) | automatic (SingleReplica topology)",
		"4.19+ | imageDigestSources | scos from print-stream-json | OVNKubernetes (OpenShiftSDN removed) | automatic (SingleReplica topology)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("matrix\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if last := lines[len(lines)-1]; last.To != Newest {
		t.Errorf("the matrix ends at %s, not the newest known %s", last.To, Newest)
	}
}

func TestFullVersionOf(t *testing.T) {
	t.Parallel()
	for image, want := range map[string]string{
		"quay.io/openshift/okd:4.15.0-0.okd-2024-03-10-010116":                                   "4.15.0-0.okd-2024-03-10-010116",
		"quay.io/openshift-release-dev/ocp-release:4.14.3-x86_64":                                "4.14.3",
		"quay.io/okd/scos-release:4.19.0-okd-scos.1":                                             "4.19.0-okd-scos.1",
		"quay.io/openshift/okd:4.15":                                                             "",
		"quay.io/openshift/okd@sha256:" + strings.Repeat("a", 64):                                "",
		"registry.lab:5000/okd:latest":                                                           "",
		"quay.io/openshift/okd:4.15.0-0.okd-2024-03-10-010116@sha256:" + strings.Repeat("a", 64): "4.15.0-0.okd-2024-03-10-010116",
	} {
		if got := FullVersionOf(image); got != want {
			t.Errorf("FullVersionOf(%s) = %q, want %q", image, got, want)
		}
	}
}
