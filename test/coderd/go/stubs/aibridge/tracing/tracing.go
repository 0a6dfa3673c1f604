// Package tracing stands in for github.com/coder/aibridge/tracing (see the
// aibridge package): the names coderd's bridge pool uses.
package tracing

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Span attribute keys.
const (
	InitiatorID = "initiator_id"
	APIKeyID    = "api_key_id"
)

// EndSpanErr ends the span, marking it failed when *err is set.
func EndSpanErr(span trace.Span, err *error) {
	if err != nil && *err != nil {
		span.SetStatus(codes.Error, (*err).Error())
	}
	span.End()
}

// WithRequestBridgeAttributesInContext would carry the attributes to the
// bridge's own spans; no bridge exists, so the context is returned as it is.
func WithRequestBridgeAttributesInContext(ctx context.Context, _ []attribute.KeyValue) context.Context {
	return ctx
}
