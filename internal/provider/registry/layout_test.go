package registry_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kycgate/kycgate/internal/provider/registry"
)

// TestRegistry_ProviderIsOnePackage: no Go file outside a provider's own
// package and this registry names a provider, tests and the stores' shared
// test suite aside, so that adding a provider is its package, one registry
// line and its docs page.
func TestRegistry_ProviderIsOnePackage(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	own := map[string]bool{filepath.ToSlash(filepath.Join("internal", "provider", "registry", "registry.go")): true}
	allowed := []string{"internal/store/storetest/"}
	for _, name := range registry.Names() {
		allowed = append(allowed, "internal/provider/"+name+"/")
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && rel != "." || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") || own[rel] {
			return nil
		}
		for _, a := range allowed {
			if strings.HasPrefix(rel, a) {
				return nil
			}
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		text := strings.ToLower(string(b))
		for _, name := range registry.Names() {
			if i := wordIndex(text, name); i >= 0 {
				line := strings.Count(text[:i], "\n") + 1
				t.Errorf("%s:%d names the provider %q: only its package and the registry may", rel, line, name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// wordIndex returns the index of the first occurrence of name in text that
// is not part of a longer word ("persona" is not "personal"), or -1.
func wordIndex(text, name string) int {
	letter := func(i int) bool { return i >= 0 && i < len(text) && text[i] >= 'a' && text[i] <= 'z' }
	for from := 0; ; {
		i := strings.Index(text[from:], name)
		if i < 0 {
			return -1
		}
		i += from
		if !letter(i-1) && !letter(i+len(name)) {
			return i
		}
		from = i + 1
	}
}
