package ignition

import (
	"fmt"
	"strings"

	"github.com/coreos/ignition/v2/config/v3_5"
	"github.com/coreos/ignition/v2/config/v3_5/types"
	"github.com/coreos/ignition/v2/config/validate"
	"github.com/coreos/vcontext/report"
	"github.com/vincent-petithory/dataurl"
)

// Parse reads an Ignition config of any stable 3.x spec with Ignition's own
// parser and returns it translated to the latest stable spec. Fatal report
// entries are errors; warnings are returned in the report.
func Parse(raw []byte) (types.Config, report.Report, error) {
	cfg, rpt, err := v3_5.ParseCompatibleVersion(raw)
	if err != nil {
		return types.Config{}, rpt, reportError(err, rpt)
	}
	return cfg, rpt, nil
}

// Validate checks a config with Ignition's parser (errors only: the configs
// openshift-install writes are taken as they are).
func Validate(raw []byte) error {
	_, _, err := Parse(raw)
	return err
}

// ValidateNode checks a per-node config strictly: no warning is allowed,
// every merged data URL must hold a valid config, and the merge result (what
// the node will apply) must validate too.
func ValidateNode(raw []byte) error {
	cfg, rpt, err := Parse(raw)
	if err != nil {
		return err
	}
	if len(rpt.Entries) > 0 {
		return fmt.Errorf("ignition has warnings: %s", oneLine(rpt.String()))
	}
	merged := cfg
	for i, ref := range cfg.Ignition.Config.Merge {
		if ref.Source == nil || !strings.HasPrefix(*ref.Source, "data:") {
			continue
		}
		du, err := dataurl.DecodeString(*ref.Source)
		if err != nil {
			return fmt.Errorf("ignition.config.merge[%d]: %w", i, err)
		}
		if want := ref.Verification.Hash; want != nil && *want != SHA512(du.Data) {
			return fmt.Errorf("ignition.config.merge[%d]: content does not match its verification hash", i)
		}
		child, _, err := Parse(du.Data)
		if err != nil {
			return fmt.Errorf("ignition.config.merge[%d]: %w", i, err)
		}
		merged = v3_5.Merge(merged, child)
	}
	if r := validate.ValidateWithContext(merged, nil); r.IsFatal() {
		return fmt.Errorf("merged ignition is invalid: %s", oneLine(r.String()))
	}
	return nil
}

func reportError(err error, rpt report.Report) error {
	if s := strings.TrimSpace(rpt.String()); s != "" {
		return fmt.Errorf("invalid ignition: %w: %s", err, oneLine(s))
	}
	return fmt.Errorf("invalid ignition: %w", err)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}
