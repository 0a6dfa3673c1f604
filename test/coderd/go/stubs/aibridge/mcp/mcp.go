// Package mcp stands in for github.com/coder/aibridge/mcp (see the aibridge
// package): no MCP server is ever proxied.
package mcp

import (
	"context"
	"errors"
	"regexp"

	"go.opentelemetry.io/otel/trace"

	"cdr.dev/slog/v3"
)

var errNotBuilt = errors.New("AI Bridge MCP proxying is not part of the coder-workspace-operator test build")

// ServerProxier is the one method coderd calls on a set of MCP proxies.
type ServerProxier interface {
	Init(ctx context.Context) error
}

type refusingProxier struct{}

func (refusingProxier) Init(context.Context) error { return errNotBuilt }

// NewServerProxyManager returns a proxier whose Init fails; coderd only logs
// that failure.
func NewServerProxyManager(map[string]ServerProxier, trace.Tracer) ServerProxier {
	return refusingProxier{}
}

// NewStreamableHTTPServerProxy always fails; coderd logs it and skips the
// server.
func NewStreamableHTTPServerProxy(_, _ string, _ map[string]string, _, _ *regexp.Regexp, _ slog.Logger, _ trace.Tracer) (ServerProxier, error) {
	return nil, errNotBuilt
}
