package openshiftinstall

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/spec/release"
)

// TestCheckAgainstTheDouble runs the openshift-install double as a binary
// of the right release and of other ones.
func TestCheckAgainstTheDouble(t *testing.T) {
	t.Parallel()
	bin := testenv.FakeOpenShiftInstall(t)
	digest := "sha256:" + strings.Repeat("5e", 32)
	other := "sha256:" + strings.Repeat("0f", 32)
	v415 := release.Version{Major: 4, Minor: 15}
	const full = "4.15.0-0.okd-2024-03-10-010116"
	for _, tc := range []struct {
		name    string
		env     []string
		want    Expected
		checked bool
		err     string
	}{
		{"the release's own binary, by digest", nil, Expected{Image: "quay.io/openshift/okd@" + digest, Version: v415, Digest: digest}, true, ""},
		{"the release's own binary, by tag", nil, Expected{Image: "quay.io/openshift/okd:" + full, Version: v415, FullVersion: full}, true, ""},
		{"x.y only", nil, Expected{Image: "quay.io/openshift/okd:4.15", Version: v415}, true, ""},
		{"another x.y", []string{"FAKEINSTALL_VERSION=4.14.0-0.okd-2024-01-26-175629"}, Expected{Image: "quay.io/openshift/okd@" + digest, Version: v415, Digest: digest}, true,
			`^openshift-install 4\.14\.0-0\.okd-2024-01-26-175629 \(release image quay\.io/openshift/okd@sha256:5e5e[0-9a-f]+\) installs release 4\.14, but the spec's release quay\.io/openshift/okd@sha256:5e5e[0-9a-f]+ is 4\.15: extract the release's own binary with ` + "`" + `oc adm release extract --command=openshift-install quay\.io/openshift/okd@sha256:5e5e[0-9a-f]+` + "`"},
		{"another build of the same x.y, by digest", []string{"FAKEINSTALL_RELEASE_IMAGE=quay.io/openshift/okd@" + other}, Expected{Image: "quay.io/openshift/okd@" + digest, Version: v415, Digest: digest}, true,
			`^openshift-install 4\.15\.0-0\.okd-2024-03-10-010116 installs release image quay\.io/openshift/okd@sha256:0f0f[0-9a-f]+, not the spec's release quay\.io/openshift/okd@sha256:5e5e[0-9a-f]+ \(sha256:5e5e[0-9a-f]+\): extract .*oc adm release extract --command=openshift-install quay\.io/openshift/okd@sha256:5e5e`},
		{"another build of the same x.y, by version", []string{"FAKEINSTALL_VERSION=4.15.0-0.okd-2024-02-23-163410"}, Expected{Image: "quay.io/openshift/okd:" + full, Version: v415, FullVersion: full}, true,
			`^openshift-install 4\.15\.0-0\.okd-2024-02-23-163410 installs release 4\.15\.0-0\.okd-2024-02-23-163410, not the spec's release quay\.io/openshift/okd:4\.15\.0-0\.okd-2024-03-10-010116 `},
		{"the override is what it installs", []string{"OPENSHIFT_INSTALL_RELEASE_IMAGE_OVERRIDE=registry.lab:5000/openshift/okd@" + other}, Expected{Image: "quay.io/openshift/okd@" + digest, Version: v415, Digest: digest}, true,
			`installs release image registry\.lab:5000/openshift/okd@sha256:0f0f`},
		{"a development build", []string{"FAKEINSTALL_VERSION=unreleased-master-8794"}, Expected{Image: "quay.io/openshift/okd@" + digest, Version: v415, Digest: digest}, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := &Driver{Binary: bin, Runner: bastion.ExecRunner{}, Env: tc.env}
			v, err := d.Version(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if v.Architecture != "amd64" || v.Commit == "" {
				t.Errorf("version output %+v", v)
			}
			checked, err := v.Check(tc.want)
			if checked != tc.checked {
				t.Errorf("checked %v, want %v", checked, tc.checked)
			}
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.err != "" && (err == nil || !regexp.MustCompile(tc.err).MatchString(err.Error())):
				t.Errorf("error %v\ndoes not match %s", err, tc.err)
			}
		})
	}
}

// TestStreamJSONOfTheDouble reads the double's print-stream-json as a real
// one's, and checks it against the CoreOS rule.
func TestStreamJSONOfTheDouble(t *testing.T) {
	t.Parallel()
	bin := testenv.FakeOpenShiftInstall(t)
	for _, tc := range []struct {
		version string
		product release.Product
		stream  release.Stream
		disk    string
	}{
		{"4.15.0-0.okd-2024-03-10-010116", release.OKD, release.FCOS, `^https://builds\.coreos\.fedoraproject\.org/prod/streams/stable/builds/39\.[0-9.]+/x86_64/fedora-coreos-39\.[0-9.]+-metal\.x86_64\.raw\.xz$`},
		{"4.17.0-okd-scos.0", release.OKDSCOS, release.FCOS, `fedora-coreos-.*-metal\.x86_64\.raw\.xz$`},
		{"4.19.0-okd-scos.1", release.OKDSCOS, release.SCOS, `/streams/c9s/builds/.*/scos-9\.0\.[0-9]+-0-metal\.x86_64\.raw\.gz$`},
		{"4.14.3", release.OCP, release.RHCOS, `/rhcos-414\.92\.[0-9]+-0-metal\.x86_64\.raw\.gz$`},
	} {
		t.Run(tc.version, func(t *testing.T) {
			t.Parallel()
			d := &Driver{Binary: bin, Runner: bastion.ExecRunner{}, Env: []string{"FAKEINSTALL_VERSION=" + tc.version}}
			data, err := d.PrintStreamJSON(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			m, err := release.ParseStreamJSON(data, "x86_64")
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(tc.disk).MatchString(m.Disk.Location) || len(m.Disk.SHA256) != 64 || m.Kernel.Location == "" || m.ISO.Location == "" {
				t.Errorf("metal media %+v", m)
			}
			v, _ := release.Parse(tc.version)
			if m.OS != tc.stream || release.CoreOSBoot(tc.product, v).Stream != m.OS {
				t.Errorf("stream %s, rule says %s", m.OS, release.CoreOSBoot(tc.product, v).Stream)
			}
			if _, _, err := release.CheckCoreOS(tc.product, v, m.Disk.Location); err != nil {
				t.Errorf("the installer's own image fails the CoreOS rule: %v", err)
			}
			if a, ok := m.Matches("/srv/images/" + m.Disk.Location[strings.LastIndex(m.Disk.Location, "/")+1:]); !ok || a.SHA256 != m.Disk.SHA256 {
				t.Errorf("a local copy of the disk image is not matched: %v %+v", ok, a)
			}
		})
	}
	d := &Driver{Binary: bin, Runner: bastion.ExecRunner{}, Env: []string{"FAKEINSTALL_VERSION=4.7.0-0.okd-2021-08-22-163618"}}
	if _, err := d.PrintStreamJSON(context.Background()); err == nil || !strings.Contains(err.Error(), `unknown command \"coreos\"`) {
		t.Errorf("4.7 has no print-stream-json: %v", err)
	}
}
