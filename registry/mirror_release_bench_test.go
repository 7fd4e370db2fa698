package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/synthrelease"
	"github.com/okdctl/okdctl/internal/testenv"
	"golang.org/x/sync/errgroup"
)

// BenchmarkMirrorRelease mirrors a release-sized synthetic payload
// (synthrelease.ReleaseSized: 190 components, 2.2 GB, shared base and
// group layers) from a plain-HTTP loopback registry (okdctl serve registry) into okdctl's
// TLS registry, side by side in one run, each into a fresh registry:
//
//   - disk: the sequential write rate of the registry's filesystem;
//   - limit-put-cN: every blob file of the source's storage PUT straight
//     into the mirror (POST, then one monolithic PUT), N at a time, over
//     HTTP/1.1 as Mirror does; limit-put-h2-cN the same over HTTP/2 (the
//     limit is the faster of them);
//   - skopeo-one-by-one and skopeo-cN: `skopeo copy` of each image, one
//     process at a time or N at a time;
//   - okdctl-cN: Mirror with Concurrency N, in a child process that
//     reports its peak RSS (VmHWM);
//   - kill-resume-cN: that child killed half-way, then Mirror again: what
//     was committed is not sent again; the bytes of the cut uploads are.
//
// A summary follows: per run MB/s, wall time, peak RSS and the CPU seconds
// of the client, the mirror registry and the source registry, with the
// load average; then the ratios and the kill-and-resume figures. It runs
// under `make bench` only;
// OKDCTL_BENCH_COMPONENTS (default 190) and OKDCTL_BENCH_CONCURRENCY
// (default 2,4,8) shrink or widen it.
func BenchmarkMirrorRelease(b *testing.B) {
	n := envInt(b, "OKDCTL_BENCH_COMPONENTS", 190)
	conc := envInts(b, "OKDCTL_BENCH_CONCURRENCY", []int{2, 4, 8})
	srcDir := b.TempDir()
	src, srcPID := synthrelease.StartSourceIn(b, srcDir)
	start := time.Now()
	rel, err := synthrelease.Push(testenv.Context(b, 30*time.Minute),
		synthrelease.Options{Registry: src, Components: n, Layout: synthrelease.ReleaseSized(n), Seed: 190, Concurrency: 2})
	if err != nil {
		b.Fatalf("failed to push the synthetic release: %v", err)
	}
	fmt.Printf("payload: %d images, %d blobs, %.2f GB, generated and pushed in %s\n", n+1, rel.Blobs, float64(rel.Bytes)/1e9, time.Since(start).Round(time.Second))
	res := benchResults{loadStart: loadAverage()}
	b.Run("disk", func(b *testing.B) {
		var r benchRun
		for i := 0; i < b.N; i++ {
			d := diskWrite(b, 1<<30)
			r.Bytes, r.Wall = r.Bytes+d.Bytes, r.Wall+d.Wall
		}
		res.add(b, "disk", r)
	})
	for _, c := range conc {
		b.Run(fmt.Sprintf("limit-put-c%d", c), func(b *testing.B) {
			res.add(b, fmt.Sprintf("limit-put-c%d", c), limitPut(b, filepath.Join(srcDir, "data"), c, true))
		})
	}
	mid := conc[len(conc)/2]
	b.Run(fmt.Sprintf("limit-put-h2-c%d", mid), func(b *testing.B) {
		res.add(b, fmt.Sprintf("limit-put-h2-c%d", mid), limitPut(b, filepath.Join(srcDir, "data"), mid, false))
	})
	b.Run("skopeo-one-by-one", func(b *testing.B) {
		res.add(b, "skopeo-one-by-one", withSourceCPU(b, srcPID, func() benchRun { return skopeoRun(b, rel, 1) }))
	})
	b.Run(fmt.Sprintf("skopeo-c%d", mid), func(b *testing.B) {
		res.add(b, fmt.Sprintf("skopeo-c%d", mid), withSourceCPU(b, srcPID, func() benchRun { return skopeoRun(b, rel, mid) }))
	})
	for _, c := range conc {
		b.Run(fmt.Sprintf("okdctl-c%d", c), func(b *testing.B) {
			res.add(b, fmt.Sprintf("okdctl-c%d", c), withSourceCPU(b, srcPID, func() benchRun { return okdctlRun(b, rel, c) }))
		})
	}
	b.Run(fmt.Sprintf("kill-resume-c%d", DefaultConcurrency), func(b *testing.B) {
		after := res.m[fmt.Sprintf("okdctl-c%d", DefaultConcurrency)].Wall / 2 // half-way
		res.resume = killResumeRun(b, rel, DefaultConcurrency, max(after, 2*time.Second))
	})
	fmt.Print(res.summary()) // a parent benchmark's log is not shown
}

// benchRun is what one side of the comparison measured.
type benchRun struct {
	Bytes   int64
	Wall    time.Duration
	PeakRSS int64         // bytes, of the largest client process
	CPU     time.Duration // of the client processes
	RegCPU  time.Duration // of the mirror registry
	SrcCPU  time.Duration // of the source registry
}

func (r benchRun) rate() float64 { return float64(r.Bytes) / r.Wall.Seconds() }

type benchResults struct {
	mu        sync.Mutex
	m         map[string]benchRun
	loadStart string
	resume    string // what killResumeRun found
}

// loadAverage is /proc/loadavg's 1, 5 and 15 minute figures.
func loadAverage() string {
	data, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(data))
	return strings.Join(f[:min(3, len(f))], " ")
}

func (res *benchResults) add(b *testing.B, name string, r benchRun) {
	b.ReportMetric(r.rate()/1e6, "MB/s")
	if r.PeakRSS > 0 {
		b.ReportMetric(float64(r.PeakRSS)/(1<<20), "peak-RSS-MiB")
	}
	if r.CPU > 0 {
		b.ReportMetric(r.CPU.Seconds(), "client-CPU-s")
	}
	if r.RegCPU > 0 {
		b.ReportMetric(r.RegCPU.Seconds(), "registry-CPU-s")
	}
	if r.SrcCPU > 0 {
		b.ReportMetric(r.SrcCPU.Seconds(), "source-CPU-s")
	}
	b.ReportMetric(r.Wall.Seconds(), "s")
	b.ReportMetric(0, "ns/op") // the wall time is in s; one op is one whole mirror
	res.mu.Lock()
	defer res.mu.Unlock()
	if res.m == nil {
		res.m = map[string]benchRun{}
	}
	res.m[name] = r
}

// best is the fastest run whose name starts with prefix.
func (res *benchResults) best(prefix string) (string, benchRun) {
	var name string
	var best benchRun
	for k, r := range res.m {
		if strings.HasPrefix(k, prefix) && (name == "" || r.Wall < best.Wall) {
			name, best = k, r
		}
	}
	return name, best
}

func (res *benchResults) summary() string {
	var b strings.Builder
	names := make([]string, 0, len(res.m))
	for k := range res.m {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Fprintf(&b, "release-sized mirror (load average %s at the start, %s at the end; CPU in seconds):\n", res.loadStart, loadAverage())
	for _, k := range names {
		r := res.m[k]
		fmt.Fprintf(&b, "  %-18s %7.1f MB/s  %6.1fs  peak RSS %6.1f MiB  CPU: client %5.1f + mirror registry %5.1f + source registry %5.1f = %5.1f\n",
			k, r.rate()/1e6, r.Wall.Seconds(), float64(r.PeakRSS)/(1<<20), r.CPU.Seconds(), r.RegCPU.Seconds(), r.SrcCPU.Seconds(),
			(r.CPU + r.RegCPU + r.SrcCPU).Seconds())
	}
	okName, ok := res.best("okdctl-")
	limName, lim := res.best("limit-put-")
	skName, sk := res.best("skopeo-c")
	one, disk := res.m["skopeo-one-by-one"], res.m["disk"]
	if ok.Wall > 0 && lim.Wall > 0 && one.Wall > 0 {
		fmt.Fprintf(&b, "  %s: %.2fx skopeo one by one, %.2fx %s, %.0f%% of the limit (%s), limit %.0f%% of the disk's write rate; CPU %.1f s in all, the limit's %.1f s\n",
			okName, one.Wall.Seconds()/ok.Wall.Seconds(), sk.Wall.Seconds()/ok.Wall.Seconds(), skName,
			100*ok.rate()/lim.rate(), limName, 100*lim.rate()/disk.rate(), (ok.CPU + ok.RegCPU + ok.SrcCPU).Seconds(), (lim.CPU + lim.RegCPU).Seconds())
	}
	if res.resume != "" {
		fmt.Fprintf(&b, "  kill and resume: %s\n", res.resume)
	}
	return b.String()
}

// diskWrite writes size bytes sequentially where the registries keep
// their data (the test's temp dir), then fsyncs.
func diskWrite(b *testing.B, size int64) benchRun {
	f, err := os.Create(filepath.Join(b.TempDir(), "disk-write"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4<<20)
	for i := range buf {
		buf[i] = byte(i*7 + i>>9)
	}
	start := time.Now()
	for done := int64(0); done < size; done += int64(len(buf)) {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	return benchRun{Bytes: size, Wall: time.Since(start)}
}

// registryCPU is the CPU time the mirror registry's process used so far.
func registryCPU(b testing.TB, tr *testRegistry) time.Duration {
	sb, ok := tr.Host.Services.(*bastion.Sandbox)
	if !ok {
		return 0
	}
	return procCPU(b, sb.PID(ServiceName))
}

// withSourceCPU adds the source registry's CPU time during run to its result.
func withSourceCPU(b *testing.B, pid int, run func() benchRun) benchRun {
	before := procCPU(b, pid)
	r := run()
	r.SrcCPU = procCPU(b, pid) - before
	return r
}

// procCPU is the user and system CPU time of a process so far.
func procCPU(b testing.TB, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(data)[strings.LastIndexByte(string(data), ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// limitPut uploads every blob file of a distribution storage into a fresh
// mirror with one monolithic PUT each, c at a time, over HTTP/1.1 or 2.
func limitPut(b *testing.B, storage string, c int, http1 bool) benchRun {
	return limitPutInto(b, startTestRegistry(b), storage, c, http1)
}

// limitPutInto is limitPut into the registry tr.
func limitPutInto(b testing.TB, tr *testRegistry, storage string, c int, http1 bool) benchRun {
	type blob struct {
		digest, path string
		size         int64
	}
	var blobs []blob
	root := filepath.Join(storage, "docker/registry/v2/blobs/sha256")
	_ = filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Name() == "data" {
			blobs = append(blobs, blob{"sha256:" + filepath.Base(filepath.Dir(p)), p, fi.Size()})
		}
		return nil
	})
	sort.Slice(blobs, func(i, j int) bool { return blobs[i].size > blobs[j].size }) // big first, as a scheduler would
	e := tr.Res.Endpoint
	t, err := NewTransport(TransportOptions{CACert: e.CACert, Pins: map[string]string{e.Host(): e.Addr()}, TLSHosts: []string{e.Host()}, HTTP1: http1})
	if err != nil {
		b.Fatal(err)
	}
	client, user, pass := &http.Client{Transport: t}, tr.In.User, tr.Password(b)
	base := "https://" + e.Host() + "/v2/bench/limit/blobs/uploads/"
	put := func(bl blob) error {
		req, _ := http.NewRequest(http.MethodPost, base, nil)
		req.SetBasicAuth(user, pass)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil || resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("POST: %s %v", resp.Status, err)
		}
		q := loc.Query()
		q.Set("digest", bl.digest)
		loc.RawQuery = q.Encode()
		f, err := os.Open(bl.path)
		if err != nil {
			return err
		}
		defer f.Close()
		req, _ = http.NewRequest(http.MethodPut, loc.String(), f)
		req.ContentLength = bl.size
		req.Header.Set("Content-Type", "application/octet-stream")
		req.SetBasicAuth(user, pass)
		if resp, err = client.Do(req); err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("PUT %s: %s", bl.digest, resp.Status)
		}
		return nil
	}
	cpu0, self0 := registryCPU(b, tr), selfCPU()
	var total int64
	var g errgroup.Group
	g.SetLimit(c)
	start := time.Now()
	for _, bl := range blobs {
		total += bl.size
		g.Go(func() error { return put(bl) })
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	return benchRun{Bytes: total, Wall: time.Since(start), RegCPU: registryCPU(b, tr) - cpu0, CPU: selfCPU() - self0}
}

// selfCPU is this process's CPU time so far (the limit's client runs in it).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measured runs cmd and returns its wall time and CPU, and its output.
// (Its rusage peak RSS is not its own: Linux carries the benchmark's RSS
// over the exec, so a child reports its VmHWM itself.)
func measured(cmd *exec.Cmd) (benchRun, string, error) {
	out := &testenv.SafeBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return benchRun{}, "", fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return benchRun{Wall: time.Since(start), CPU: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}, out.String(), nil
}

// peakRSSLine is how the mirror helper process reports its VmHWM.
const peakRSSLine = "okdctl-peak-rss-kib: "

func peakRSS(out string) int64 {
	_, after, ok := strings.Cut(out, peakRSSLine)
	if !ok {
		return 0
	}
	kib, _ := strconv.ParseInt(strings.Fields(after)[0], 10, 64)
	return kib << 10
}

// printPeakRSS prints this process's VmHWM for peakRSS.
func printPeakRSS() {
	data, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fmt.Printf("%s%s\n", peakRSSLine, strings.Fields(v)[0])
		}
	}
}

// okdctlRun mirrors rel with Mirror in a child process (the test binary).
func okdctlRun(b *testing.B, rel *synthrelease.Release, c int) benchRun {
	tr := startTestRegistry(b)
	o := tr.mirrorOptions(b, rel.Image)
	job, _ := json.Marshal(helperJob{Release: o.Release, Registry: o.Registry, Repository: o.Repository, Pins: o.Pins,
		CACert: o.CACert, PullSecret: o.PullSecret, Concurrency: c})
	cmd := exec.Command(os.Args[0], "-test.run=^TestMirrorHelperProcess$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(job))
	cpu0 := registryCPU(b, tr)
	r, out, err := measured(cmd)
	if err != nil {
		b.Fatal(err)
	}
	if r.PeakRSS = peakRSS(out); r.PeakRSS == 0 {
		b.Fatalf("the mirror process did not report its peak RSS:\n%s", out)
	}
	r.Bytes, r.RegCPU = rel.Bytes, registryCPU(b, tr)-cpu0
	ctx := testenv.Context(b, time.Minute)
	m, err := Mirror(ctx, o) // a finished mirror: checks, sends nothing
	if err != nil {
		b.Fatal(err)
	}
	if missing, err := CheckMirrored(ctx, o, m); err != nil || len(missing) > 0 {
		b.Fatalf("after the mirror: missing %v, err %v", missing, err)
	}
	return r
}

// skopeoRun copies the release and each component with `skopeo copy`,
// c processes at a time.
func skopeoRun(b *testing.B, rel *synthrelease.Release, c int) benchRun {
	tr := startTestRegistry(b)
	skopeo := testenv.Binary(b, "skopeo")
	certs := tr.CADir(b)
	relRef, err := name.ParseReference(rel.Image)
	if err != nil {
		b.Fatal(err)
	}
	images := []string{relRef.Context().Digest(rel.Digest).String()}
	for _, comp := range rel.Components {
		images = append(images, comp.Image)
	}
	var mu sync.Mutex
	total := benchRun{Bytes: rel.Bytes}
	var g errgroup.Group
	g.SetLimit(c)
	cpu0 := registryCPU(b, tr)
	start := time.Now()
	for i, img := range images {
		g.Go(func() error {
			dst := fmt.Sprintf("docker://%s/bench/skopeo:image-%d", tr.Res.Endpoint.Addr(), i)
			r, _, err := measured(exec.CommandContext(context.Background(), skopeo, "--insecure-policy", "copy", "--quiet", "--preserve-digests",
				"--src-tls-verify=false", "--dest-authfile", tr.In.Layout.PullSecret, "--dest-cert-dir", certs, "docker://"+img, dst))
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			total.CPU += r.CPU
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	total.Wall, total.RegCPU = time.Since(start), registryCPU(b, tr)-cpu0
	return total
}

func envInt(b *testing.B, key string, def int) int {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number", key, v)
	}
	return n
}

func envInts(b *testing.B, key string, def []int) []int {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("%s=%q: want numbers like 2,4,8", key, v)
		}
		out = append(out, n)
	}
	return out
}
