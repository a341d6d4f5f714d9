package server

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/api"
	"github.com/kycgate/kycgate/internal/delivery"
)

type openAPIDoc struct {
	OpenAPI string `json:"openapi"`
	Info    struct {
		License struct{ Name, Identifier string } `json:"license"`
	} `json:"info"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
		} `json:"schemas"`
	} `json:"components"`
}

// TestOpenAPI keeps /api/v1/openapi.json true: the routes it lists are the
// routes served, and its schemas have exactly the fields the API writes,
// each required unless the API leaves it out when empty.
func TestOpenAPI(t *testing.T) {
	var doc openAPIDoc
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}
	var documented, served []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	for _, r := range apiRoutes {
		served = append(served, r.method+" "+r.pattern)
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Errorf("documented routes %v\nserved routes %v", documented, served)
	}
	for schema, typ := range map[string]reflect.Type{
		"Verification":      reflect.TypeFor[kycgate.Verification](),
		"Step":              reflect.TypeFor[kycgate.Step](),
		"Change":            reflect.TypeFor[kycgate.Change](),
		"Event":             reflect.TypeFor[api.Event](),
		"User":              reflect.TypeFor[api.User](),
		"Delivery":          reflect.TypeFor[kycgate.Delivery](),
		"Attempt":           reflect.TypeFor[kycgate.Attempt](),
		"Destination":       reflect.TypeFor[delivery.Status](),
		"Funnel":            reflect.TypeFor[kycgate.Funnel](),
		"FunnelStats":       reflect.TypeFor[kycgate.FunnelStats](),
		"StageCount":        reflect.TypeFor[kycgate.StageCount](),
		"DropOffCount":      reflect.TypeFor[kycgate.DropOffCount](),
		"DecisionDurations": reflect.TypeFor[kycgate.DecisionDurations](),
		"Fetch":             reflect.TypeFor[kycgate.Fetch](),
		"ProviderData":      reflect.TypeFor[api.ProviderData](),
		"Envelope":          reflect.TypeFor[delivery.Envelope](),
	} {
		var props []string
		for p := range doc.Components.Schemas[schema].Properties {
			props = append(props, p)
		}
		fields, always := jsonFields(typ)
		slices.Sort(props)
		if !slices.Equal(props, fields) {
			t.Errorf("schema %s documents %v\nthe API writes %v", schema, props, fields)
		}
		required := slices.Sorted(slices.Values(doc.Components.Schemas[schema].Required))
		if !slices.Equal(required, always) {
			t.Errorf("schema %s requires %v\nthe API always writes %v", schema, required, always)
		}
	}
	if doc.Info.License.Name == "" || doc.Info.License.Identifier == "" {
		t.Errorf("info.license = %+v", doc.Info.License)
	}
}

// jsonFields returns the JSON names of t's fields, and those that are
// always written (not omitempty).
func jsonFields(t reflect.Type) (all, always []string) {
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			a, b := jsonFields(f.Type.Elem())
			all, always = append(all, a...), append(always, b...)
			continue
		}
		if name != "" && name != "-" {
			all = append(all, name)
			if !strings.Contains(opts, "omitempty") {
				always = append(always, name)
			}
		}
	}
	slices.Sort(all)
	slices.Sort(always)
	return all, always
}
