package ignition

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// bigBootstrap is a bootstrap.ign of about the real size (~300 KB of
// embedded files) with a 24 h certificate among them.
func bigBootstrap(b *testing.B) []byte {
	raw := bootstrapIgn(b, time.Now())
	var cfg map[string]any
	_ = json.Unmarshal(raw, &cfg)
	files := cfg["storage"].(map[string]any)["files"].([]any)
	for i := 0; i < 100; i++ {
		blob := make([]byte, 2200)
		_, _ = rand.Read(blob)
		files = append(files, map[string]any{"path": fmt.Sprintf("/opt/openshift/manifests/m%03d.yaml", i),
			"contents": map[string]any{"source": "data:;base64," + base64.StdEncoding.EncodeToString(blob)}})
	}
	cfg["storage"].(map[string]any)["files"] = files
	out, _ := json.Marshal(cfg)
	return out
}

func BenchmarkNodeConfigBootstrap(b *testing.B) {
	role := bigBootstrap(b)
	n := labNode("bootstrap", "bootstrap")
	b.SetBytes(int64(len(role)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := NodeConfig(n, role); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCertExpiry(b *testing.B) {
	role := bigBootstrap(b)
	b.SetBytes(int64(len(role)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := CertExpiry(role); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderJSON1000 renders okdctl boot -o json for 1,000 nodes.
func BenchmarkRenderJSON1000(b *testing.B) {
	base := labBoots(true)[2]
	boots := make([]Boot, 1000)
	for i := range boots {
		boots[i] = base
		boots[i].Name = fmt.Sprintf("w%d", i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := Render(FormatJSON, boots)
		if err != nil || !bytes.HasPrefix(out, []byte("[")) {
			b.Fatal(err)
		}
	}
}
