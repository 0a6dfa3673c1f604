//go:build cwo_graph

package main

import (
	"github.com/coder/coder/v2/provisioner/echo"
	"github.com/coder/coder/v2/provisionersdk/proto"
)

// The protocol of v2.30 (init, plan, apply, then graph): only the graph
// step reports parameters, presets and resources, and the echo provisioner writes
// main.tf from the graph's parameters and derives the plan from the graph.
func echoResponses(params []*proto.RichParameter, presets []*proto.Preset, failApply bool) *echo.Responses {
	apply := &proto.ApplyComplete{}
	if failApply {
		apply.Error = "failed by the test template"
	}
	return &echo.Responses{
		Parse:          echo.ParseComplete,
		ProvisionApply: []*proto.Response{{Type: &proto.Response_Apply{Apply: apply}}},
		ProvisionGraph: []*proto.Response{{Type: &proto.Response_Graph{Graph: &proto.GraphComplete{Parameters: params, Presets: presets}}}},
	}
}
