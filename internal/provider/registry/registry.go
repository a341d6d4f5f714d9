// Package registry lists the provider adapters kycgate ships. Adding a
// provider means adding its package here (see docs/adding-a-provider.md).
package registry

import (
	"slices"

	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/idwise"
	"github.com/kycgate/kycgate/internal/provider/metamap"
	"github.com/kycgate/kycgate/internal/provider/onfido"
	"github.com/kycgate/kycgate/internal/provider/persona"
	"github.com/kycgate/kycgate/internal/provider/stripe"
	"github.com/kycgate/kycgate/internal/provider/sumsub"
	"github.com/kycgate/kycgate/internal/provider/vericato"
	"github.com/kycgate/kycgate/internal/provider/veriff"
	"github.com/kycgate/kycgate/internal/provider/verifyyou"
)

var adapters = []provider.Adapter{
	idwise.Adapter,
	metamap.Adapter,
	onfido.Adapter,
	persona.Adapter,
	stripe.Adapter,
	sumsub.Adapter,
	vericato.Adapter,
	veriff.Adapter,
	verifyyou.Adapter,
}

// Lookup returns the adapter of the named provider.
func Lookup(name string) (provider.Adapter, bool) {
	for _, a := range adapters {
		if a.Name == name {
			return a, true
		}
	}
	return provider.Adapter{}, false
}

// Names returns the names of every supported provider, sorted.
func Names() []string {
	names := make([]string, len(adapters))
	for i, a := range adapters {
		names[i] = a.Name
	}
	slices.Sort(names)
	return names
}

// All returns every adapter.
func All() []provider.Adapter { return slices.Clone(adapters) }
