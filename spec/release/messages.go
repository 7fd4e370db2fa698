package release

// The user-facing messages of the release rules, in one place. Each says
// what is wrong and what to do about it.
const (
	msgOpenShift3    = "%s is an OpenShift %d.%d release: OpenShift 3.x is not supported (it installs with openshift-ansible, not openshift-install); okdctl installs OpenShift 4 releases"
	msgNotFour       = "%s is release %d.%d, not an OpenShift 4 release: okdctl installs OpenShift 4 releases"
	msgBadVersion    = "%v: set spec.release.version to the release's x.y (for example \"4.14\")"
	msgTagDisagrees  = "%q disagrees with the release image %s, whose tag is release %d.%d: fix the version or the image so that they name the same release"
	msgNoVersion     = "cannot tell the release version from the image %q: set spec.release.version (for example \"4.14\"), or pin the image by digest so that okdctl reads the version from the image itself"
	msgOCPPullSecret = "%s is an OpenShift Container Platform (OCP) release, which needs a pull secret: download yours from console.redhat.com/openshift/install/pull-secret and set spec.pullSecretFile"
	msgTooNew        = "release %s is newer than %s, the newest release okdctl knows: it is installed with %s's rules; check its release notes for install changes"
)
