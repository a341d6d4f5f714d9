package registry_test

import (
	"slices"
	"testing"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/registry"
)

func TestRegistry(t *testing.T) {
	want := []string{"idwise", "metamap", "onfido", "persona", "stripe", "sumsub", "vericato", "veriff", "verifyyou"}
	if got := registry.Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, a := range registry.All() {
		if got, ok := registry.Lookup(a.Name); !ok || got.Name != a.Name {
			t.Errorf("Lookup(%q) = %v, %v", a.Name, got.Name, ok)
		}
		if len(a.Catalogue) == 0 {
			t.Errorf("%s has an empty catalogue", a.Name)
		}
		for event, typ := range a.Catalogue {
			if !slices.Contains(kycgate.EventTypes, typ) {
				t.Errorf("%s maps %q to %q, not a canonical type", a.Name, event, typ)
			}
		}
	}
	if _, ok := registry.Lookup("no-such-provider"); ok {
		t.Error("Lookup(no-such-provider) found an adapter")
	}
}
