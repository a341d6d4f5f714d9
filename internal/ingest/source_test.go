package ingest

import "testing"

// TestBasicMatches: the user and the password are both compared, whichever
// is wrong, so that the time taken says nothing of which one failed.
func TestBasicMatches(t *testing.T) {
	for _, c := range []struct {
		name, user, password string
		want                 bool
	}{
		{"both right", "kyc", "p4ss", true},
		{"wrong user", "kcy", "p4ss", false},
		{"wrong password", "kyc", "pass", false},
		{"both wrong", "x", "y", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			compared := 0
			eq := func(a, b string) bool { compared++; return equal(a, b) }
			if got := basicMatches(c.user, c.password, "kyc", "p4ss", eq); got != c.want {
				t.Errorf("match = %v, want %v", got, c.want)
			}
			if compared != 2 {
				t.Errorf("%d comparisons, want both", compared)
			}
		})
	}
}
