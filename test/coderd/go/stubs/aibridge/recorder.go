package aibridge

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/trace"

	"cdr.dev/slog/v3"
	"github.com/coder/aibridge/recorder"
)

// Metadata is free-form data attached to a record.
type Metadata = recorder.Metadata

// Recorder is what coderd's enterprise/aibridged implements to store usage.
type Recorder interface {
	RecordInterception(ctx context.Context, req *InterceptionRecord) error
	RecordInterceptionEnded(ctx context.Context, req *InterceptionRecordEnded) error
	RecordPromptUsage(ctx context.Context, req *PromptUsageRecord) error
	RecordTokenUsage(ctx context.Context, req *TokenUsageRecord) error
	RecordToolUsage(ctx context.Context, req *ToolUsageRecord) error
}

// InterceptionRecord has the fields coderd reads.
type InterceptionRecord struct {
	ID          string
	InitiatorID string
	Provider    string
	Model       string
	Metadata    Metadata
	StartedAt   time.Time
}

// InterceptionRecordEnded has the fields coderd reads.
type InterceptionRecordEnded struct {
	ID      string
	EndedAt time.Time
}

// PromptUsageRecord has the fields coderd reads.
type PromptUsageRecord struct {
	InterceptionID string
	MsgID          string
	Prompt         string
	Metadata       Metadata
	CreatedAt      time.Time
}

// TokenUsageRecord has the fields coderd reads.
type TokenUsageRecord struct {
	InterceptionID  string
	MsgID           string
	Input           int64
	Output          int64
	ExtraTokenTypes map[string]int64
	Metadata        Metadata
	CreatedAt       time.Time
}

// ToolUsageRecord has the fields coderd reads.
type ToolUsageRecord struct {
	InterceptionID  string
	MsgID           string
	ServerURL       *string
	Tool            string
	Args            any
	Injected        bool
	InvocationError error
	Metadata        Metadata
	CreatedAt       time.Time
}

// NewRecorder returns a recorder that records nothing: no bridge ever exists
// to call it (see NewRequestBridge).
func NewRecorder(slog.Logger, trace.Tracer, func() (Recorder, error)) Recorder {
	return refusingRecorder{}
}

type refusingRecorder struct{}

func (refusingRecorder) RecordInterception(context.Context, *InterceptionRecord) error {
	return ErrNotBuilt
}

func (refusingRecorder) RecordInterceptionEnded(context.Context, *InterceptionRecordEnded) error {
	return ErrNotBuilt
}

func (refusingRecorder) RecordPromptUsage(context.Context, *PromptUsageRecord) error {
	return ErrNotBuilt
}

func (refusingRecorder) RecordTokenUsage(context.Context, *TokenUsageRecord) error {
	return ErrNotBuilt
}

func (refusingRecorder) RecordToolUsage(context.Context, *ToolUsageRecord) error {
	return ErrNotBuilt
}
