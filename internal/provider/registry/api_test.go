package registry_test

import (
	"testing"

	"github.com/kycgate/kycgate/internal/provider/registry"
)

// TestAPIParseHostile: a provider's document parser refuses what is not
// its document, without panicking, so the fetcher stores it flagged.
func TestAPIParseHostile(t *testing.T) {
	hostile := []string{"", "null", "[]", "{}", `"text"`, "<html>maintenance</html>", `{"id":`, `{"id":["x"]}`, "\x00\xff"}
	for _, a := range registry.All() {
		if a.API == nil {
			t.Errorf("%s: no API spec", a.Name)
			continue
		}
		if len(a.API.Keys) == 0 || a.API.BaseURL == "" {
			t.Errorf("%s: API spec without keys or base URL", a.Name)
		}
		for _, body := range hostile {
			if _, err := a.API.Parse([]byte(body)); err == nil {
				t.Errorf("%s: Parse(%q) accepted it", a.Name, body)
			}
		}
	}
}
