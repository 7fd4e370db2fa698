// Command synthrelease serves a synthetic OKD release for the sandbox demo:
// it runs a plain-HTTP loopback registry (`okdctl serve registry`, with the
// okdctl found beside it) as a sandbox
// service under --root, and pushes a synthetic payload into it unless the
// release tag is there already. `okdctl down --root DIR` stops it.
package main
