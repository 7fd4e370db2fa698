package verify

import (
	"context"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const areaBastion = "bastion"

func (b *BastionInput) check(ctx context.Context) []Result {
	out := []Result{b.clock(ctx)}
	for _, d := range b.Disks {
		out = append(out, disk(d))
	}
	if len(b.FirewalldPorts) > 0 {
		out = append(out, b.firewalld(ctx))
	}
	return out
}

// clock reads the offset from the NTP source through chronyc.
func (b *BastionInput) clock(ctx context.Context) Result {
	r := Result{Area: areaBastion, Check: "clock offset from its NTP source", Required: true}
	limit := b.MaxOffset
	if limit <= 0 {
		limit = time.Second
	}
	bin := b.Chronyc
	if bin == "" {
		bin = "chronyc"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		r.Status, r.Required, r.Detail = Skipped, false, "chronyc not found: the clock is not checked (ignition certificates are time-bound: keep the bastion in sync)"
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	args := []string{"-c", "tracking"}
	if b.ChronydSocket != "" {
		args = []string{"-h", b.ChronydSocket, "-c", "tracking"}
	}
	data, err := exec.CommandContext(ctx, path, args...).Output()
	if err != nil {
		// no chronyd: the clock may be kept by another daemon, not checked
		r.Status, r.Required = Skipped, false
		r.Detail = fmt.Sprintf("chronyd does not answer (chronyc tracking: %v): the clock is not checked", err)
		r.Fix = "start chronyd and give it an NTP source (ignition certificates are time-bound)"
		return r
	}
	offset, source, synced, perr := parseTracking(string(data))
	if perr != nil {
		r.Status, r.Detail = Fail, fmt.Sprintf("chronyc tracking: %v", perr)
		r.Fix = "start chronyd and give it an NTP source (chronyc sources)"
		return r
	}
	if !synced {
		r.Status, r.Detail = Fail, "chronyd runs but is not synchronised to any source"
		r.Fix = "give chronyd a reachable NTP server (chronyc sources -v shows why none is selected)"
		return r
	}
	r.Detail = fmt.Sprintf("%s from %s", offset, source)
	if offset > limit || offset < -limit {
		r.Status, r.Fix = Fail, fmt.Sprintf("bring the clock within %s of NTP (chronyc makestep)", limit)
		return r
	}
	r.Status = Pass
	return r
}

// parseTracking reads `chronyc -c tracking`: reference ID, name, stratum,
// reference time, system time offset (seconds), last offset, RMS offset,
// frequency, residual frequency, skew, root delay, root dispersion, update
// interval, leap status ("Not synchronised" without a source).
func parseTracking(s string) (offset time.Duration, source string, synced bool, err error) {
	f := strings.Split(strings.TrimSpace(s), ",")
	if len(f) < 14 {
		return 0, "", false, fmt.Errorf("unexpected output %q", strings.TrimSpace(s))
	}
	sec, err := strconv.ParseFloat(f[4], 64)
	if err != nil || math.IsNaN(sec) {
		return 0, "", false, fmt.Errorf("unexpected offset %q", f[4])
	}
	return time.Duration(sec * float64(time.Second)), f[1], f[13] != "Not synchronised", nil
}

func disk(d Disk) Result {
	r := Result{Area: areaBastion, Check: fmt.Sprintf("free disk for the %s (%s)", d.What, d.Dir), Required: true}
	dir := d.Dir
	var st syscall.Statfs_t
	for {
		err := syscall.Statfs(dir, &st)
		if err == nil {
			break
		}
		parent := dir[:max(strings.LastIndex(dir, "/"), 1)]
		if parent == dir {
			r.Status, r.Detail = Fail, err.Error()
			return r
		}
		dir = parent // the directory may not exist yet: its file system counts
	}
	free := st.Bavail * uint64(st.Bsize)
	r.Detail = fmt.Sprintf("%s free, %s needed", gib(free), gib(d.Need))
	if free < d.Need {
		r.Status, r.Fix = Fail, "free space under "+d.Dir+" (or move it to a larger file system)"
		return r
	}
	r.Status = Pass
	return r
}

func gib(n uint64) string { return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30)) }
