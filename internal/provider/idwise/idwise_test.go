package idwise_test

import (
	"testing"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider"
	"github.com/kycgate/kycgate/internal/provider/idwise"
	"github.com/kycgate/kycgate/internal/provider/providertest"
)

// IDWise keeps eventId across retries and sends no time at all.
func TestProvider_Parse(t *testing.T) {
	providertest.RunIdentify(t, idwise.Adapter, "")
	p, _ := idwise.New(provider.Config{})
	id, _, err := p.Parse(nil, providertest.Examples(t)["finished_spot_check.json"])
	if err != nil || id.VerificationID != "6731a0c4e5f6a7b8c9d0e1f2" {
		t.Errorf("spot check filed under %+v, %v; want its spotCheckJourneyId", id, err)
	}
	if !id.OccurredAt.IsZero() {
		t.Errorf("OccurredAt = %v, want zero: IDWise sends no time", id.OccurredAt)
	}
}

func TestProvider_Hostile(t *testing.T) { providertest.RunHostile(t, idwise.Adapter) }

func FuzzProvider(f *testing.F) { providertest.Fuzz(f, idwise.Adapter) }

func TestProvider_Golden(t *testing.T) { providertest.RunGolden(t, idwise.Adapter, provider.Config{}) }

func BenchmarkProvider_Parse(b *testing.B) { providertest.BenchParse(b, idwise.Adapter) }

// Fields IDWise documents as one JSON type arrive as another (a version
// 2.0, a numeric reference): the webhook still parses and applies.
func TestProvider_LooseTypes(t *testing.T) {
	p, _ := idwise.New(provider.Config{})
	_, c, err := p.Parse(nil, []byte(`{"event":"AML Monitor Update","body":{"eventId":"e1","journeyId":"j1","referenceNo":8400123,
		"systemDecision":"Refer","previousSystemDecision":"Complete","updatedAMLVersionNumber":2.0,"stepId":null}}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if c.Decision != kycgate.DecisionReviewNeeded || c.By != kycgate.ActorScreening || c.ExternalUserID != "8400123" || c.Extra["aml_version"] != "2.0" {
		t.Errorf("read as %s by %s, user %q, aml version %q; want review_needed by screening, 8400123, 2.0", c.Decision, c.By, c.ExternalUserID, c.Extra["aml_version"])
	}
	if _, _, err := p.Parse(nil, []byte(`{"event":"AML Monitor Update","body":{"journeyId":"j1","referenceNo":{"id":1}}}`)); err == nil {
		t.Error("an object for referenceNo parsed")
	}
}
