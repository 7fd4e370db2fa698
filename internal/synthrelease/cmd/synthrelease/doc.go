// Command synthrelease serves a synthetic OKD release for the sandbox demo:
// it runs a plain-HTTP loopback registry (`okdctl serve registry`, with the
// okdctl beside it, else on PATH) as a sandbox service under --root, pushes
// a synthetic payload into it unless the release tag is there already, and
// exits; the registry keeps running until `okdctl down --root DIR`.
//
// Standard output is one line, the release by digest
// (127.0.0.1:15001/okd/release@sha256:...), as openshift-install reports
// the release it was built for: the sandbox hands it to the installer
// double (FAKEINSTALL_RELEASE_IMAGE). What it did goes to standard error.
package main
