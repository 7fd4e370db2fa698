// Package synthrelease pushes a synthetic OKD release payload into a
// registry: component images sharing base layers, and a release image whose
// top layer holds release-manifests/image-references listing them by digest.
// Tests, benchmarks and the sandbox demo mirror it instead of a real release.
package synthrelease
