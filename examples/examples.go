package examples

import "embed"

// FS holds every example spec (NAME.yaml) and files/.
//
//go:embed *.yaml files
var FS embed.FS

// Names lists the examples in the order init shows them.
var Names = []string{"lab", "compact", "ha", "single-master", "disconnected", "existing-infra", "sandbox", "seed"}
