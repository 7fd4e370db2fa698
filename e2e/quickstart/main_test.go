package quickstart

import (
	"testing"

	"github.com/okdctl/okdctl/internal/testenv"
)

// TestMain runs the tests in a network namespace of their own with only lo
// (as root): the README's addresses (127.0.1.1:15353, 127.0.0.1:15001, ...)
// are fixed.
func TestMain(m *testing.M) { testenv.MainInPrivateNetwork(m) }
