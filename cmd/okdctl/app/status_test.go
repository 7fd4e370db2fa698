package app

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/spec"
	"github.com/okdctl/okdctl/verify"
)

// TestStatusJSONShowsLastVerify: `status -o json` carries the phases and
// the last verify (null before the first), with its verdict.
func TestStatusJSONShowsLastVerify(t *testing.T) {
	file := filepath.Join(copyExamples(t), "sandbox.yaml")
	root := t.TempDir()
	var doc struct {
		Cluster    string         `json:"cluster"`
		Phases     map[string]any `json:"phases"`
		LastVerify *struct {
			Passed  bool            `json:"passed"`
			Summary string          `json:"summary"`
			Results []verify.Result `json:"results"`
		} `json:"lastVerify"`
	}
	out, errOut, code := run(t, "status", "-f", file, "--root", root, "-o", "json")
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || doc.Cluster == "" {
		t.Fatalf("status -o json: exit %d %s\n%s", code, errOut, out)
	}
	if doc.LastVerify != nil {
		t.Errorf("lastVerify before any verify: %+v", doc.LastVerify)
	}
	c, err := spec.LoadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rep := &verify.Report{Started: time.Now(), Results: []verify.Result{
		{Area: "dns", Check: "A api.sandbox.okd.test", Status: verify.Pass, Required: true},
		{Area: "load balancer", Check: "6443 accepts", Status: verify.Fail, Required: true, Detail: "connection refused", Fix: "start it"}}}
	if err := rep.Save(bastion.Paths{Root: root}.StateDir(c.Metadata.Name)); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = run(t, "status", "-f", file, "--root", root, "-o", "json")
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil {
		t.Fatalf("status -o json: exit %d %s\n%s", code, errOut, out)
	}
	if doc.LastVerify == nil || doc.LastVerify.Passed || len(doc.LastVerify.Results) != 2 || doc.LastVerify.Summary != rep.Summary() {
		t.Errorf("lastVerify after a failed verify:\n%s", out)
	}
	if !strings.Contains(out, `"phases":`) {
		t.Errorf("no phases:\n%s", out)
	}
}
