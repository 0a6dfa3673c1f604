// Package aibridge stands in for github.com/coder/aibridge v1.0.1, which the
// Go module proxy refuses (403) and coder v2.30 pins. Only AI Bridge imports
// it (enterprise/aibridged, enterprise/aibridgeproxyd and the server command
// that wires them), and coderd starts AI Bridge only when
// CODER_AIBRIDGE_ENABLED is set, which the real-coderd tier never sets. So
// this package declares just the names coderd compiles against and does
// nothing: a bridge cannot be created (NewRequestBridge fails with
// ErrNotBuilt), and nothing here reimplements a provider, a recorder or an
// MCP proxy.
package aibridge

import "errors"

// ErrNotBuilt is what every operation that would need the real module
// returns.
var ErrNotBuilt = errors.New("AI Bridge is not part of the coder-workspace-operator test build")
