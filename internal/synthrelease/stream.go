package synthrelease

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// streamLayer is a layer generated on demand: a gzip stream (stored
// blocks, so nothing is spent compressing) of a tar holding one file of
// pseudo-random bytes from a seed. Its content is never held in memory:
// every read generates it again, identically.
type streamLayer struct {
	seed   uint64
	size   int64 // of the file in the tar
	digest v1.Hash
	diffID v1.Hash
	csize  int64 // of the gzip stream
}

var _ v1.Layer = (*streamLayer)(nil)

// newStreamLayer generates the layer once to learn its digests.
func newStreamLayer(seed uint64, size int64) (*streamLayer, error) {
	l := &streamLayer{seed: seed, size: size}
	blob, diff := sha256.New(), sha256.New()
	n := &countWriter{w: blob}
	if err := l.write(n, diff); err != nil {
		return nil, err
	}
	l.csize = n.n
	l.digest = v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", blob.Sum(nil))}
	l.diffID = v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", diff.Sum(nil))}
	return l, nil
}

// write streams the compressed layer to w, and the tar to diff if set.
func (l *streamLayer) write(w io.Writer, diff io.Writer) error {
	gz, err := gzip.NewWriterLevel(w, gzip.NoCompression)
	if err != nil {
		return err
	}
	var tw *tar.Writer
	if diff != nil {
		tw = tar.NewWriter(io.MultiWriter(gz, diff))
	} else {
		tw = tar.NewWriter(gz)
	}
	hdr := &tar.Header{Name: fmt.Sprintf("usr/share/synthetic/%016x", l.seed), Mode: 0o644, Size: l.size,
		Typeflag: tar.TypeReg, ModTime: time.Unix(1577836800, 0), Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	buf := make([]byte, 256<<10)
	if _, err := io.CopyBuffer(tw, io.LimitReader(&prng{state: l.seed}, l.size), buf); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func (l *streamLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *streamLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *streamLayer) Size() (int64, error)                { return l.csize, nil }
func (l *streamLayer) MediaType() (types.MediaType, error) { return types.DockerLayer, nil }

// Compressed streams the layer from a goroutine that generates it.
func (l *streamLayer) Compressed() (io.ReadCloser, error) {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(l.write(pw, nil)) }()
	return pr, nil
}

// Uncompressed is not needed by anything that pushes the layer.
func (l *streamLayer) Uncompressed() (io.ReadCloser, error) {
	return nil, errors.New("a synthetic layer is only read compressed")
}

// prng is splitmix64: fast, and the same bytes for a seed whatever the
// sizes it is read in.
type prng struct {
	state uint64
	buf   [8]byte
	left  int // unread bytes at the end of buf
}

func (p *prng) next() uint64 {
	p.state += 0x9e3779b97f4a7c15
	z := p.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (p *prng) Read(b []byte) (int, error) {
	n := 0
	for p.left > 0 && n < len(b) {
		b[n] = p.buf[8-p.left]
		p.left--
		n++
	}
	for ; n+8 <= len(b); n += 8 {
		binary.LittleEndian.PutUint64(b[n:], p.next())
	}
	if n < len(b) {
		binary.LittleEndian.PutUint64(p.buf[:], p.next())
		p.left = 8
		for n < len(b) {
			b[n] = p.buf[8-p.left]
			p.left--
			n++
		}
	}
	return n, nil
}

// seedFor derives the seed of one layer from the payload's seed.
func seedFor(seed uint64, kind string, i int) uint64 {
	h := sha256.Sum256([]byte(fmt.Sprintf("%d/%s/%d", seed, kind, i)))
	return binary.LittleEndian.Uint64(h[:8])
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
