// Package cli stands in for github.com/coder/boundary/cli, whose pinned
// pseudo-version the Go module proxy refuses. coderd imports it for one
// experimental subcommand (`coder boundary`) that our tests never run, so a
// command that only says so is enough to link the server.
package cli

import (
	"errors"

	"github.com/coder/serpent"
)

// BaseCommand is the one symbol coderd's cli/exp_boundary.go uses.
func BaseCommand() *serpent.Command {
	return &serpent.Command{
		Use:   "boundary",
		Short: "not built into this test binary",
		Handler: func(*serpent.Invocation) error {
			return errors.New("boundary is not part of the coder-workspace-operator test build")
		},
	}
}
