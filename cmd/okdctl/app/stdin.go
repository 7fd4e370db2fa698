package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/okdctl/okdctl/spec"
)

// stdinName names a spec read from standard input in messages; its
// directory (for relative paths) is the current one.
const stdinName = "<stdin>"

func loadStdin(r io.Reader) (*spec.Cluster, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("failed to read the spec from standard input: %w", err)
	}
	dir, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("failed to read the spec from standard input: %w", err)
	}
	c, err := spec.Load(data, filepath.Join(dir, stdinName))
	var se *spec.SpecError
	if errors.As(err, &se) {
		se.File = stdinName
	}
	return c, err
}
