package e2e

import (
	"testing"

	"github.com/okdctl/okdctl/internal/testenv"
)

// TestMain runs the rehearsals in a network namespace of their own (as
// root): they bind fixed loopback addresses (127.0.1.1-5), so two runs at
// once would otherwise collide, and inside it nothing but loopback answers.
func TestMain(m *testing.M) { testenv.MainInPrivateNetwork(m) }
