// Package config stands in for github.com/coder/aibridge/config (see the
// aibridge package): the one type coderd's server command fills in.
package config

import "time"

// CircuitBreaker has the fields coderd sets from its deployment options.
type CircuitBreaker struct {
	FailureThreshold uint32
	Interval         time.Duration
	Timeout          time.Duration
	MaxRequests      uint32
}
