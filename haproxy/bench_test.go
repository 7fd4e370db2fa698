package haproxy

import (
	"context"
	"testing"

	"github.com/okdctl/okdctl/bastion"
	"github.com/okdctl/okdctl/internal/testenv"
)

// BenchmarkRender renders the ha example's haproxy.cfg (pure).
func BenchmarkRender(b *testing.B) {
	in := goldenCases()["ha"]
	for b.Loop() {
		if _, err := Render(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderAndCheck is what every apply pays before touching the
// live file: render, then `haproxy -c` on the candidate.
func BenchmarkRenderAndCheck(b *testing.B) {
	bin := testenv.Binary(b, "haproxy")
	in := goldenCases()["ha"]
	for b.Loop() {
		cfg, err := Render(in)
		if err != nil {
			b.Fatal(err)
		}
		if err := Check(context.Background(), bastion.ExecRunner{}, bin, cfg); err != nil {
			b.Fatal(err)
		}
	}
}
