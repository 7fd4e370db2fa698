package templates

import "embed"

// FS holds every template. Add a pattern line for new kinds of files.
//
//go:embed *.tmpl
var FS embed.FS
