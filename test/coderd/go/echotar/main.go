// Command echotar writes a template archive for Coder's echo provisioner to
// stdout. The echo provisioner replays protobuf responses stored in the
// archive instead of running terraform, so a test template is just this file:
// an empty archive fails the import ("no state: stat …/0.parse.protobuf").
//
// It is compiled inside the downloaded coder module (build-coderd.sh copies it
// there), so it uses that exact version's provisioner/echo and proto packages.
// Where the parameters go depends on the provisioner protocol of that version
// (responses_*.go; build-coderd.sh sets the build tag).
//
// Input on stdin, JSON:
//
//	{"parameters": [{"name": "region", "type": "string", "default": "eu",
//	  "mutable": true, "ephemeral": false, "options": ["eu", "us"]}],
//	 "presets": [{"name": "large", "parameters": {"region": "us"}, "default": false}],
//	 "failApply": false}
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/coder/coder/v2/provisioner/echo"
	"github.com/coder/coder/v2/provisionersdk/proto"
)

type parameter struct {
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Default   string   `json:"default"`
	Mutable   bool     `json:"mutable"`
	Ephemeral bool     `json:"ephemeral"`
	Required  bool     `json:"required"`
	Options   []string `json:"options"`
}

// preset is a coder_workspace_preset block: a name and the parameter values it sets.
type preset struct {
	Name       string            `json:"name"`
	Parameters map[string]string `json:"parameters"`
	Default    bool              `json:"default"`
}

type input struct {
	Parameters []parameter `json:"parameters"`
	Presets    []preset    `json:"presets"`
	FailApply  bool        `json:"failApply"`
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fail("read JSON from stdin: %v", err)
	}
	params := make([]*proto.RichParameter, 0, len(in.Parameters))
	for i, p := range in.Parameters {
		typ := p.Type
		if typ == "" {
			typ = "string"
		}
		rp := &proto.RichParameter{
			Name:      p.Name,
			Type:      typ,
			Mutable:   p.Mutable,
			Ephemeral: p.Ephemeral,
			Required:  p.Required,
			Order:     int32(i),
		}
		if p.Default != "" {
			// The generated main.tf takes the default as a terraform
			// expression, so a string default is quoted there.
			rp.DefaultValue = p.Default
		}
		for _, o := range p.Options {
			rp.Options = append(rp.Options, &proto.RichParameterOption{Name: o, Value: o})
		}
		params = append(params, rp)
	}
	presets := make([]*proto.Preset, 0, len(in.Presets))
	for _, p := range in.Presets {
		pp := &proto.Preset{Name: p.Name, Default: p.Default}
		// In name order: the same input writes the same archive.
		names := make([]string, 0, len(p.Parameters))
		for name := range p.Parameters {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			pp.Parameters = append(pp.Parameters, &proto.PresetParameter{Name: name, Value: p.Parameters[name]})
		}
		presets = append(presets, pp)
	}
	responses := echoResponses(params, presets, in.FailApply)
	archive, err := echo.Tar(responses)
	if err != nil {
		fail("write archive: %v", err)
	}
	if _, err := os.Stdout.Write(archive); err != nil {
		fail("write stdout: %v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "echotar: "+format+"\n", args...)
	os.Exit(1)
}
