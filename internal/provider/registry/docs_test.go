package registry_test

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kycgate/kycgate"
	"github.com/kycgate/kycgate/internal/provider/registry"
)

var catalogueRow = regexp.MustCompile("^\\| `([^`]+)` \\| `(verification\\.[a-z_]+)` \\|")

// TestDocsMatchCatalogue keeps the event table of docs/providers/NAME.md
// equal to the adapter's catalogue in code.
func TestDocsMatchCatalogue(t *testing.T) {
	for _, a := range registry.All() {
		t.Run(a.Name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("..", "..", "..", "docs", "providers", a.Name+".md"))
			if err != nil {
				t.Fatalf("every provider needs a docs page: %v", err)
			}
			defer f.Close()
			documented := map[string]kycgate.EventType{}
			inEvents := false
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				line := sc.Text()
				if strings.HasPrefix(line, "## ") {
					inEvents = line == "## Events"
					continue
				}
				if m := catalogueRow.FindStringSubmatch(line); inEvents && m != nil {
					if _, dup := documented[m[1]]; dup {
						t.Errorf("%q documented twice", m[1])
					}
					documented[m[1]] = kycgate.EventType(m[2])
				}
			}
			for event, typ := range a.Catalogue {
				if got, ok := documented[event]; !ok {
					t.Errorf("%q (%s) is in the code but not in the docs", event, typ)
				} else if got != typ {
					t.Errorf("%q: docs say %s, code says %s", event, got, typ)
				}
			}
			for event := range documented {
				if _, ok := a.Catalogue[event]; !ok {
					t.Errorf("%q is in the docs but not in the code", event)
				}
			}
		})
	}
}
