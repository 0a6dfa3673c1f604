package aibridge

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"cdr.dev/slog/v3"
	"github.com/coder/aibridge/mcp"
	"github.com/coder/aibridge/recorder"
)

// Metrics would hold AI Bridge's Prometheus collectors; it registers none.
type Metrics struct{}

// NewMetrics registers nothing, so /metrics shows no aibridge series.
func NewMetrics(prometheus.Registerer) *Metrics { return &Metrics{} }

// RequestBridge is the per-user HTTP handler coderd pools. None is ever
// created, but coderd's pool names its methods.
type RequestBridge struct{}

// NewRequestBridge always fails: with AI Bridge enabled, coderd answers its
// /api/v2/aibridge routes with an error instead of proxying anything.
func NewRequestBridge(context.Context, []Provider, Recorder, mcp.ServerProxier, slog.Logger, *Metrics, trace.Tracer) (*RequestBridge, error) {
	return nil, ErrNotBuilt
}

func (*RequestBridge) ServeHTTP(rw http.ResponseWriter, _ *http.Request) {
	http.Error(rw, ErrNotBuilt.Error(), http.StatusNotImplemented)
}

// Shutdown has nothing to stop.
func (*RequestBridge) Shutdown(context.Context) error { return nil }

// AsActor would attach the calling user to the request context; nothing here
// reads it back, so the context is returned as it is.
func AsActor(ctx context.Context, _ string, _ recorder.Metadata) context.Context { return ctx }
