package installer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/testenv"
	"github.com/okdctl/okdctl/registry"
	"github.com/okdctl/okdctl/spec"
)

// TestMirrorProgressAndDiskSpace runs the mirror phase with too little
// disk (it must refuse before copying, saying how much it needs), then
// with enough, in --log-format json: progress events carry the counts,
// the totals come first, and a summary ends the phase and the run log.
func TestMirrorProgressAndDiskSpace(t *testing.T) {
	c := registryCluster(t)
	root := t.TempDir()
	sb := &bastion.Sandbox{Paths: bastion.Paths{Root: root}}
	t.Cleanup(func() { _ = sb.Stop(context.Background(), registry.ServiceName) })
	ctx := testenv.Context(t, 2*time.Minute)
	run := func(free int64) (string, error) {
		var out bytes.Buffer
		h := bastion.NewHost(bastion.HostOptions{Root: root, Sandbox: true, Okdctl: testenv.Okdctl(t)})
		r := &Runner{Cluster: c, Host: h, Log: NewLogger(LoggerOptions{Out: &out, JSON: true}), Phases: []Phase{&RegistryPhase{},
			&MirrorPhase{ProgressEvery: time.Hour, FreeSpace: func(string) (int64, error) { return free, nil }}}}
		_, err := r.Apply(ctx, ApplyOptions{})
		return out.String(), err
	}

	out, err := run(512 << 20)
	var dse *registry.DiskSpaceError
	if !errors.As(err, &dse) || !strings.HasPrefix(dse.Dir, root) || dse.Need < 1<<30 {
		t.Fatalf("mirror with 512 MiB free: err %v, want a disk-space error for the registry storage under %s\n%s", err, root, out)
	}
	for _, want := range []string{"not enough disk space for the mirror", "512.0 MiB free", "the release needs 1.0 GiB", "plus a margin of"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("disk-space error lacks %q: %v", want, err)
		}
	}

	out, err = run(1 << 40)
	if err != nil {
		t.Fatalf("mirror: %v\n%s", err, out)
	}
	var events []Event
	summary := ""
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not a JSON event: %q", line)
		}
		switch {
		case ev.Phase == "mirror" && ev.Level == "progress":
			events = append(events, ev)
		case ev.Phase == "mirror" && ev.Level == "info" && strings.HasPrefix(ev.Msg, "mirrored "):
			summary = ev.Msg
		}
	}
	if len(events) < 2 {
		t.Fatalf("mirror progress events: %+v\n%s", events, out)
	}
	first, last := events[0].Progress, events[len(events)-1].Progress
	if first["bytesDone"] != 0.0 || first["bytesTotal"].(float64) <= 0 || first["imagesTotal"] != 5.0 || !strings.HasPrefix(events[0].Msg, "to mirror (from the manifests): 0/5 images") {
		t.Errorf("the first progress event is not the totals before copying: %+v", events[0])
	}
	if last["imagesDone"] != 5.0 || last["bytesDone"] != last["bytesTotal"] || last["blobsUploaded"].(float64) < 5 {
		t.Errorf("the last progress event: %+v", events[len(events)-1])
	}
	if !strings.HasPrefix(summary, "mirrored 5/5 images") || !strings.Contains(summary, "sent ") {
		t.Errorf("no summary after the progress: %q", summary)
	}
	runLog := readFile(filepath.Join(root, "var/lib/okdctl", c.Metadata.Name, FileRunLog))
	if !strings.Contains(runLog, summary) || !strings.Contains(runLog, `"progress":{`) {
		t.Errorf("the run log lacks the summary or the progress events:\n%s", runLog)
	}
}

// TestLiveLineOnTerminal: on a terminal the progress is redrawn in place
// after the spinner, and the periodic lines go only to the run log.
func TestLiveLineOnTerminal(t *testing.T) {
	t.Parallel()
	out, file := &bastion.SyncBuffer{}, &bastion.SyncBuffer{}
	l := NewLogger(LoggerOptions{Out: out, File: file, TTY: true}).WithPhase("mirror")
	if l.Live("before the spinner") {
		t.Error("Live showed a line with no phase running")
	}
	l.startSpinner("mirror")
	m := &mirrorProgress{log: l, every: time.Hour, meter: registry.NewMeter()}
	m.report(registry.Progress{ImagesTotal: 5, BytesTotal: 10 << 20})
	time.Sleep(50 * time.Millisecond)
	m.report(registry.Progress{ImagesDone: 2, ImagesTotal: 5, BytesDone: 4 << 20, BytesTotal: 10 << 20})
	time.Sleep(400 * time.Millisecond)
	l.stopSpinner()
	screen := out.String()
	if !strings.Contains(screen, "\r\033[K") || !strings.Contains(screen, " mirror ") ||
		!strings.Contains(screen, "2/5 images, 4.0 MiB/10.0 MiB (40%), ") || !strings.Contains(screen, "/s, ETA ") {
		t.Errorf("terminal output lacks the in-place progress line: %q", screen)
	}
	if strings.Contains(screen, "to mirror") || !strings.Contains(file.String(), "to mirror (from the manifests): 0/5 images") {
		t.Errorf("the periodic line should go to the run log only:\nterminal %q\nlog %q", screen, file.String())
	}
}

// TestPreflightChecksMirrorSpace: preflight sizes the release from the
// source's manifests and refuses a registry storage without room for it.
func TestPreflightChecksMirrorSpace(t *testing.T) {
	c := registryCluster(t)
	root := t.TempDir()
	ctx := testenv.Context(t, time.Minute)
	var out bytes.Buffer
	rc := &RunContext{cluster: c, host: bastion.NewHost(bastion.HostOptions{Root: root, Sandbox: true}), log: NewLogger(LoggerOptions{Out: &out})}
	problems := mirrorSpace(ctx, rc, func(string) (int64, error) { return 100 << 20, nil })
	if len(problems) != 1 || !strings.Contains(problems[0], "not enough disk space for the mirror: "+root) || !strings.Contains(problems[0], "100.0 MiB free, the release needs 1.0 GiB") {
		t.Errorf("preflight with 100 MiB free: %q", problems)
	}
	if problems := mirrorSpace(ctx, rc, func(string) (int64, error) { return 1 << 40, nil }); len(problems) > 0 ||
		!strings.Contains(out.String(), "the release payload is 5 images, ") || !strings.Contains(out.String(), "has room for it") {
		t.Errorf("preflight with room: %q\n%s", problems, out.String())
	}
}

// spec.registry.allArchitectures reaches the mirror and re-runs it when it changes.
func TestMirrorAllArchitecturesIsAnInput(t *testing.T) {
	t.Parallel()
	data, file := testenv.ExampleSpec(t, "sandbox")
	inputs := func(yaml string) map[string]string {
		c, err := spec.Load([]byte(yaml), file)
		if err != nil {
			t.Fatal(err)
		}
		in, err := (&MirrorPhase{}).Inputs(&RunContext{cluster: c, host: bastion.NewHost(bastion.HostOptions{})})
		if err != nil {
			t.Fatal(err)
		}
		return in.(map[string]string)
	}
	if in := inputs(data); in["allArchitectures"] != "" {
		t.Errorf("default inputs %v", in)
	}
	all := strings.Replace(data, "    mirror: true", "    mirror: true\n    allArchitectures: true", 1)
	if in := inputs(all); in["allArchitectures"] != "true" {
		t.Errorf("allArchitectures: true gives inputs %v", in)
	}
}
