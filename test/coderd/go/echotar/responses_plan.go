//go:build !cwo_graph

package main

import (
	"github.com/coder/coder/v2/provisioner/echo"
	"github.com/coder/coder/v2/provisionersdk/proto"
)

// The protocol up to v2.27: plan and apply report the template's parameters
// (the import's plan its presets too),
// and the echo provisioner writes main.tf from the plan's.
func echoResponses(params []*proto.RichParameter, presets []*proto.Preset, failApply bool) *echo.Responses {
	apply := &proto.ApplyComplete{Parameters: params}
	if failApply {
		apply.Error = "failed by the test template"
	}
	return &echo.Responses{
		Parse:          echo.ParseComplete,
		ProvisionApply: []*proto.Response{{Type: &proto.Response_Apply{Apply: apply}}},
		ProvisionPlan: []*proto.Response{{Type: &proto.Response_Plan{Plan: &proto.PlanComplete{
			Parameters: params,
			Presets:    presets,
			Plan:       []byte("{}"),
		}}}},
	}
}
