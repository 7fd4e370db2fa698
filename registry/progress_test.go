package registry

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMeterRateAndETA(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	m := newMeterAt(func() time.Time { return now })
	st := m.Status(Progress{ImagesTotal: 191, BytesTotal: 2000 << 20})
	if st.Rate != 0 || st.ETA != 0 || st.Line() != "0/191 images, 0 B/2.0 GiB (0%)" {
		t.Errorf("at the start: %+v %q", st, st.Line())
	}
	for i := 1; i <= 30; i++ { // 10 MiB/s for 20 s, then 40 MiB/s
		now = now.Add(time.Second)
		rate := int64(10 << 20)
		if i > 20 {
			rate = 40 << 20
		}
		st = m.Status(Progress{ImagesDone: i, ImagesTotal: 191, BytesDone: st.BytesDone + rate, BytesTotal: 2000 << 20})
	}
	// the last 10 s ran at 40 MiB/s: 1400 MiB left take 35 s
	if st.Rate != 40<<20 || st.ETA != 35*time.Second {
		t.Errorf("rate %.0f B/s, ETA %s; want 40 MiB/s and 35s", st.Rate, st.ETA)
	}
	if got, want := st.Line(), "30/191 images, 600.0 MiB/2.0 GiB (30%), 40.0 MiB/s, ETA 35s"; got != want {
		t.Errorf("Line() = %q, want %q", got, want)
	}
	st.BlobsUploaded, st.BytesUploaded, st.BlobsSkipped = 20, 600<<20, 3
	if s := st.Summary(); !strings.Contains(s, "sent 20 blobs, 600.0 MiB in 30s (20.0 MiB/s); 3 blobs were already there") {
		t.Errorf("Summary() = %q", s)
	}
}

func TestCheckDiskSpace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir() + "/not/yet/there"
	var probed string
	free := func(d string) (int64, error) { probed = d; return 3 << 30, nil }
	if err := CheckDiskSpace(dir, 1<<30, free); err != nil {
		t.Errorf("3 GiB free for 1 GiB: %v", err)
	}
	if strings.Contains(probed, "not") {
		t.Errorf("probed %s, want the nearest existing parent", probed)
	}
	err := CheckDiskSpace(dir, 20<<30, free)
	var dse *DiskSpaceError
	if !errors.As(err, &dse) || dse.Need != 22<<30 {
		t.Fatalf("3 GiB free for 20 GiB: %v", err)
	}
	want := "has 3.0 GiB free, the release needs 22.0 GiB (20.0 GiB to copy plus a margin of 2.0 GiB); free 19.0 GiB there"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
	if _, err := FreeSpace(t.TempDir()); err != nil {
		t.Errorf("FreeSpace: %v", err)
	}
}
