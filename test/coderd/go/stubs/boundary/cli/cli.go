// Package cli stands in for github.com/coder/boundary/cli, whose versions
// pinned by coder v2.27 (a pseudo-version) and v2.30 (v0.6.0) the Go module
// proxy refuses. coderd imports it for one subcommand (`coder boundary`, the
// network-jail wrapper for AI agents) that our tests never run, so a command
// that only says so is enough to link the server.
package cli

import (
	"errors"

	"github.com/coder/serpent"
)

// BaseCommand is the one symbol coderd uses. v2.27 calls it without
// arguments, v2.30 passes boundary's module version; the variadic parameter
// lets one stub link both.
func BaseCommand(_ ...string) *serpent.Command {
	return &serpent.Command{
		Use:   "boundary",
		Short: "not built into this test binary",
		Handler: func(*serpent.Invocation) error {
			return errors.New("boundary is not part of the coder-workspace-operator test build")
		},
	}
}
