package ignition

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	butane "github.com/coreos/butane/config"
	"github.com/coreos/butane/config/common"
	"github.com/coreos/vcontext/report"
	"gopkg.in/yaml.v3"
)

// MachineConfig translates one Butane file of variant openshift into a
// MachineConfig manifest, as `butane --strict` does: a warning is an error.
// Every message starts with file:line:col when Butane knows the place.
// `local:` references resolve against the file's directory. It returns the
// MachineConfig's name (for the manifest's file name) and the manifest.
func MachineConfig(file string, data []byte) (string, []byte, error) {
	var head struct {
		Variant string `yaml:"variant"`
	}
	if err := yaml.Unmarshal(data, &head); err == nil && head.Variant != "" && head.Variant != "openshift" {
		return "", nil, fmt.Errorf("failed to translate %s: variant %q makes an Ignition config, not a MachineConfig: use variant: openshift with version: 4.x.0", file, head.Variant)
	}
	opts := common.TranslateBytesOptions{TranslateOptions: common.TranslateOptions{FilesDir: filepath.Dir(file)}}
	out, rpt, err := butane.TranslateBytes(data, opts)
	if err != nil {
		if msg := reportLines(file, rpt); msg != "" {
			return "", nil, fmt.Errorf("failed to translate %s:\n%s", file, msg)
		}
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			return "", nil, fmt.Errorf("failed to translate %s:\n%s:%s: %s", file, file, m[1], m[2])
		}
		return "", nil, fmt.Errorf("failed to translate %s: %w", file, err)
	}
	if len(rpt.Entries) > 0 {
		return "", nil, fmt.Errorf("failed to translate %s: warnings are errors for okdctl:\n%s", file, reportLines(file, rpt))
	}
	name, err := machineConfigName(out)
	if err != nil {
		return "", nil, fmt.Errorf("failed to translate %s: %w", file, err)
	}
	return name, out, nil
}

var yamlLineRE = regexp.MustCompile(`yaml: line (\d+): (.*)$`)

// reportLines formats Butane's report as file:line:col: kind: message lines.
func reportLines(file string, rpt report.Report) string {
	var lines []string
	for _, e := range rpt.Entries {
		at := file
		if e.Marker.StartP != nil {
			line, col := e.Marker.Start()
			at = fmt.Sprintf("%s:%d:%d", file, line, col)
		}
		where := ""
		if e.Context.Len() != 0 {
			where = " (" + e.Context.String() + ")"
		}
		lines = append(lines, fmt.Sprintf("%s: %s%s: %s", at, e.Kind.String(), where, e.Message))
	}
	return strings.Join(lines, "\n")
}

func machineConfigName(manifest []byte) (string, error) {
	var mc struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
	}
	if err := yaml.Unmarshal(manifest, &mc); err != nil {
		return "", fmt.Errorf("butane produced an unreadable manifest: %w", err)
	}
	if mc.Kind != "MachineConfig" || mc.Metadata.Name == "" {
		return "", errors.New("butane produced no named MachineConfig: set metadata.name and the machineconfiguration.openshift.io/role label")
	}
	return mc.Metadata.Name, nil
}
