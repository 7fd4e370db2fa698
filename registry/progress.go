package registry

import (
	"fmt"
	"time"
)

// Meter turns a mirror's progress counts into throughput and an ETA.
// The rate is that of the last Window (default 10 s), so that the ETA
// follows what the link does now rather than at the start.
type Meter struct {
	Window time.Duration
	now    func() time.Time
	start  time.Time
	// samples of (time, bytes done), oldest first, within Window
	samples []sample
}

type sample struct {
	at    time.Time
	bytes int64
}

// Status is a progress snapshot with its rate.
type Status struct {
	Progress
	Elapsed time.Duration
	// Rate is bytes per second over the last window (0 until measured).
	Rate float64
	// ETA is the time left at Rate (0 when unknown or done).
	ETA time.Duration
}

// NewMeter starts measuring now.
func NewMeter() *Meter { return newMeterAt(time.Now) }

func newMeterAt(now func() time.Time) *Meter {
	return &Meter{Window: 10 * time.Second, now: now, start: now()}
}

// Status records p and returns it with the rate and ETA.
func (m *Meter) Status(p Progress) Status {
	t := m.now()
	m.samples = append(m.samples, sample{t, p.BytesDone})
	for len(m.samples) > 2 && t.Sub(m.samples[1].at) >= m.Window {
		m.samples = m.samples[1:]
	}
	s := Status{Progress: p, Elapsed: t.Sub(m.start)}
	first := m.samples[0]
	if dt := t.Sub(first.at).Seconds(); dt > 0 {
		s.Rate = float64(p.BytesDone-first.bytes) / dt
	}
	if left := p.BytesTotal - p.BytesDone; left > 0 && s.Rate > 0 {
		s.ETA = max(time.Duration(float64(left)/s.Rate*float64(time.Second)).Round(time.Second), time.Second)
	}
	return s
}

// Line is the one-line form a terminal shows in place:
// "42/191 images, 812.3 MiB/2.1 GiB (38%), 45.2 MiB/s, ETA 29s".
func (s Status) Line() string {
	pct := 100
	if s.BytesTotal > 0 {
		pct = int(s.BytesDone * 100 / s.BytesTotal)
	}
	line := fmt.Sprintf("%d/%d images, %s/%s (%d%%)", s.ImagesDone, s.ImagesTotal, humanBytes(s.BytesDone), humanBytes(s.BytesTotal), pct)
	if s.Rate > 0 {
		line += fmt.Sprintf(", %s/s", humanBytes(int64(s.Rate)))
	}
	if s.ETA > 0 {
		line += fmt.Sprintf(", ETA %s", s.ETA)
	}
	return line
}

// Summary is the closing line of a mirror: what was sent, what was
// there, how long it took and the average rate.
func (s Status) Summary() string {
	avg := ""
	if sec := s.Elapsed.Seconds(); sec > 0 && s.BytesUploaded > 0 {
		avg = fmt.Sprintf(" (%s/s)", humanBytes(int64(float64(s.BytesUploaded)/sec)))
	}
	return fmt.Sprintf("%d/%d images, %s: sent %d blobs, %s in %s%s; %d blobs were already there; %d manifests and tags written",
		s.ImagesDone, s.ImagesTotal, humanBytes(s.BytesTotal), s.BlobsUploaded, humanBytes(s.BytesUploaded),
		s.Elapsed.Round(100*time.Millisecond), avg, s.BlobsSkipped, s.ManifestsWritten)
}

// Fields are the progress counts as a JSON event carries them.
func (s Status) Fields() map[string]any {
	return map[string]any{"imagesDone": s.ImagesDone, "imagesTotal": s.ImagesTotal,
		"bytesDone": s.BytesDone, "bytesTotal": s.BytesTotal, "bytesUploaded": s.BytesUploaded,
		"blobsUploaded": s.BlobsUploaded, "blobsSkipped": s.BlobsSkipped,
		"bytesPerSecond": int64(s.Rate), "etaSeconds": int64(s.ETA.Seconds()), "elapsedSeconds": s.Elapsed.Seconds()}
}
