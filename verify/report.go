package verify

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

// Status is the outcome of one check.
type Status string

// The outcomes. NotYet is a check that cannot pass before a later step of
// the install (nodes up, bootstrap complete); it fails nothing.
const (
	Pass    Status = "pass"
	Fail    Status = "FAIL"
	NotYet  Status = "not yet"
	Skipped Status = "skipped"
)

// Result is one check's line.
type Result struct {
	Area   string `json:"area"`
	Check  string `json:"check"`
	Status Status `json:"status"`
	// Detail is what was seen; Fix what to do when it did not pass.
	Detail string `json:"detail,omitempty"`
	Fix    string `json:"fix,omitempty"`
	// Required: a failure makes the verification fail.
	Required bool `json:"required"`
}

// Report is a whole verification.
type Report struct {
	Started time.Time     `json:"started"`
	Took    time.Duration `json:"took"`
	Results []Result      `json:"results"`
}

// Failed reports whether a required check failed.
func (r *Report) Failed() bool {
	for _, res := range r.Results {
		if res.Required && res.Status == Fail {
			return true
		}
	}
	return false
}

// Counts are how many checks ended with each status.
func (r *Report) Counts() map[Status]int {
	out := map[Status]int{}
	for _, res := range r.Results {
		out[res.Status]++
	}
	return out
}

// Summary is the report in one line.
func (r *Report) Summary() string {
	c := r.Counts()
	s := fmt.Sprintf("%d pass, %d FAIL, %d not yet", c[Pass], c[Fail], c[NotYet])
	if c[Skipped] > 0 {
		s += fmt.Sprintf(", %d skipped", c[Skipped])
	}
	return s + fmt.Sprintf(" (%s)", r.Took.Round(time.Millisecond))
}

// Failures are the results that did not pass, as "area: check: detail".
func (r *Report) Failures() []string {
	var out []string
	for _, res := range r.Results {
		if res.Status == Fail {
			out = append(out, fmt.Sprintf("%s: %s: %s", res.Area, res.Check, res.Detail))
		}
	}
	return out
}

// WriteText prints one line per check, then the fix of each one that did
// not pass, then the summary.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, res := range r.Results {
		line := fmt.Sprintf("%s\t%s\t%s\t%s", res.Status, res.Area, res.Check, oneLine(res.Detail))
		if res.Status != Pass && res.Status != Skipped && res.Fix != "" {
			line += "\t→ " + oneLine(res.Fix)
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := "verify: passed"
	if r.Failed() {
		verdict = "verify: FAILED"
	}
	_, err := fmt.Fprintf(w, "%s: %s\n", verdict, r.Summary())
	return err
}

// WriteJSON prints the report as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// FileName is where the last report is kept in okdctl's state directory.
const FileName = "verify.json"

// Save keeps the report as the last verification (0600: it names hosts).
func (r *Report) Save(stateDir string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("failed to encode the verify report: %w", err)
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return fmt.Errorf("failed to save the verify report: %w", err)
	}
	tmp := filepath.Join(stateDir, FileName+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("failed to save the verify report: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(stateDir, FileName)); err != nil {
		return fmt.Errorf("failed to save the verify report: %w", err)
	}
	return nil
}

// Load reads the last saved report; (nil, nil) when there is none.
func Load(stateDir string) (*Report, error) {
	data, err := os.ReadFile(filepath.Join(stateDir, FileName))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read the last verify report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("failed to read the last verify report %s: %w", filepath.Join(stateDir, FileName), err)
	}
	return &r, nil
}
