package synthrelease

import (
	"runtime"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"
)

// Layout is the layer structure of a payload, as content sizes in bytes.
type Layout struct {
	// Base layers are shared by every image, the release image included
	// (the operating system base a release builds everything on).
	Base []int64
	// Groups of layers are shared by some components: component i gets
	// Groups[i%len(Groups)] (the language runtimes and tool layers).
	Groups [][]int64
	// Unique[i%len(Unique)] is the size of component i's own layer.
	Unique []int64
}

const mib = 1 << 20

// ReleaseSized is the shape of a real OKD release of n components (about
// 190): two base layers of 80 MiB that every image shares, eight group
// layers of 24 MiB, and per component one layer of its own: most of 1-5
// MiB, every tenth of 12-44 MiB, and a few installer- and test-sized ones
// of 96-256 MiB. With 190 components that is 2.2 GB in 229 blobs (the
// release configs included).
func ReleaseSized(n int) *Layout {
	l := &Layout{Base: []int64{64 * mib, 16 * mib}}
	for g := 0; g < 8; g++ {
		l.Groups = append(l.Groups, []int64{24 * mib})
	}
	big := []int64{256 * mib, 192 * mib, 160 * mib, 128 * mib, 96 * mib}
	r := prng{state: 17}
	for i := 0; i < n; i++ {
		switch {
		case i%47 == 0 && i/47 < len(big):
			l.Unique = append(l.Unique, big[i/47])
		case i%10 == 5:
			l.Unique = append(l.Unique, 12*mib+int64(r.next()%(32*mib)))
		default:
			l.Unique = append(l.Unique, 1*mib+int64(r.next()%(4*mib)))
		}
	}
	return l
}

// Scaled divides every size by div (at least 1 KiB each): the same shape,
// small enough for a test.
func (l *Layout) Scaled(div int64) *Layout {
	f := func(in []int64) []int64 {
		out := make([]int64, len(in))
		for i, s := range in {
			out[i] = max(s/div, 1024)
		}
		return out
	}
	out := &Layout{Base: f(l.Base), Unique: f(l.Unique)}
	for _, g := range l.Groups {
		out.Groups = append(out.Groups, f(g))
	}
	return out
}

// Size is the content the layout's layers hold for n components.
func (l *Layout) Size(n int) int64 {
	var total int64
	for _, s := range l.Base {
		total += s
	}
	for g := range l.Groups {
		if g < n {
			for _, s := range l.Groups[g] {
				total += s
			}
		}
	}
	for i := 0; i < n && len(l.Unique) > 0; i++ {
		total += l.Unique[i%len(l.Unique)]
	}
	return total
}

// layers are a layout's generated layers for one architecture.
type layers struct {
	Base   []v1.Layer
	Groups [][]v1.Layer
	Unique []v1.Layer
}

// build generates (and hashes) every layer of n components, on every core.
func (l *Layout) build(seed uint64, n int) (*layers, error) {
	out := &layers{Base: make([]v1.Layer, len(l.Base)), Groups: make([][]v1.Layer, len(l.Groups))}
	var g errgroup.Group
	g.SetLimit(runtime.NumCPU())
	gen := func(dst *v1.Layer, kind string, i int, size int64) {
		g.Go(func() error {
			ly, err := newStreamLayer(seedFor(seed, kind, i), size)
			*dst = ly
			return err
		})
	}
	for i, s := range l.Base {
		gen(&out.Base[i], "base", i, s)
	}
	for gi, sizes := range l.Groups {
		out.Groups[gi] = make([]v1.Layer, len(sizes))
		for i, s := range sizes {
			gen(&out.Groups[gi][i], "group", gi*1000+i, s)
		}
	}
	if len(l.Unique) > 0 {
		out.Unique = make([]v1.Layer, n)
		for i := 0; i < n; i++ {
			gen(&out.Unique[i], "unique", i, l.Unique[i%len(l.Unique)])
		}
	}
	return out, g.Wait()
}

// shared are the layers more than one image has.
func (ls *layers) shared() []v1.Layer {
	out := append([]v1.Layer{}, ls.Base...)
	for _, g := range ls.Groups {
		out = append(out, g...)
	}
	return out
}

// component lists component i's layers, base first.
func (ls *layers) component(i int) []v1.Layer {
	out := append([]v1.Layer{}, ls.Base...)
	if len(ls.Groups) > 0 {
		out = append(out, ls.Groups[i%len(ls.Groups)]...)
	}
	if len(ls.Unique) > 0 {
		out = append(out, ls.Unique[i])
	}
	return out
}
