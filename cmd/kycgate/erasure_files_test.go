package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestErasure_NoCopyInFiles: once a verification is erased, no file
// kycgate writes (the SQLite database, its WAL and shared-memory files)
// holds the name or email its webhooks carried, in live rows, free pages
// or the log; the provider's later events for it leave none either.
func TestErasure_NoCopyInFiles(t *testing.T) {
	url, cfgPath := startApp(t, fmt.Sprintf("  - {name: vericato, provider: vericato, auth: {url_token: %q}}", vericatoToken))
	dir := filepath.Dir(cfgPath)
	const name, email = "Jane Quincy-Roe", "jane.quincy-roe@example.com"
	// Long enough to fill overflow pages of its own, as documents do.
	padding := strings.Repeat("lorem ipsum "+name+" ", 400)
	personal := `"verification_original_name":"` + name + `","original_verification":{"email":"` + email + `","note":"` + padding + `"}`
	for i, ev := range []string{"verification.created", "verification.verified"} {
		postVericato(t, url, fmt.Sprintf(`{"event":%q,"timestamp":"2026-11-22T10:%02d:00.000Z","data":{"verification_id":"ver_files","verification_status":"verified",%s}}`, ev, 30+i, personal))
	}
	if found := filesHolding(t, dir, name, email); len(found) == 0 {
		t.Fatal("before erasure no file holds the personal data: the test cannot see it")
	}
	conn := []string{"--server", url, "--token", cliToken}
	if code, out, errOut := cli(t, append([]string{"verifications", "delete", "vericato", "ver_files"}, conn...)...); code != 0 {
		t.Fatalf("delete: %d %s %s", code, out, errOut)
	}
	if found := filesHolding(t, dir, name, email); len(found) > 0 {
		t.Errorf("after erasure, personal data remains in %v", found)
	}
	postVericato(t, url, `{"event":"verification.expired","timestamp":"2026-11-22T11:00:00.000Z","data":{"verification_id":"ver_files","verification_status":"expired",`+personal+`}}`)
	if found := filesHolding(t, dir, name, email); len(found) > 0 {
		t.Errorf("after a later event of the erased verification, personal data remains in %v", found)
	}
}

// filesHolding returns the files under dir that contain any of needles.
func filesHolding(t *testing.T, dir string, needles ...string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				found = append(found, filepath.Base(path)+" ("+n+")")
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
