package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/okdctl/okdctl/internal/realhost"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := realhost.Build(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ERROR:", err)
		os.Exit(1)
	}
	for _, f := range []realhost.Flavour{realhost.DebianServices, realhost.PXEServer} {
		if _, err := realhost.BuildLayer(ctx, os.Stdout, f); err != nil {
			fmt.Fprintln(os.Stderr, "ERROR:", err)
			os.Exit(1)
		}
	}
}
