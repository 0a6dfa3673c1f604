// Package recorder stands in for github.com/coder/aibridge/recorder (see the
// aibridge package).
package recorder

// Metadata is free-form data attached to a record.
type Metadata map[string]any
