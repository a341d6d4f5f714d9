package config

import (
	"reflect"
	"strings"
)

// closest returns the name of names nearest to s, when it is near enough
// to be a typo of it (two edits at most, fewer for short names), or when s
// but its last letter begins it (raw_body for raw_bodies), else "".
func closest(s string, names []string) string {
	best, bestD := "", min(2, len(s)/3)+1
	for _, n := range names {
		if d := distance(s, n); d < bestD {
			best, bestD = n, d
		}
	}
	if best == "" && len(s) >= 5 {
		for _, n := range names {
			if strings.HasPrefix(n, s[:len(s)-1]) {
				return n
			}
		}
	}
	return best
}

// distance is the edit distance between a and b: insertions, deletions,
// substitutions and swaps of two neighbours.
func distance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// yamlKeys returns the keys of each struct of the configuration file, by
// its type's name as the YAML decoder names it (config.Source): what an
// unknown key there may be a typo of.
func yamlKeys() map[string][]string {
	keys := map[string][]string{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || keys[t.String()] != nil {
			return
		}
		keys[t.String()] = []string{}
		for f := range t.Fields() {
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name != "" && name != "-" && !strings.Contains(opts, "inline") {
				keys[t.String()] = append(keys[t.String()], name)
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeFor[Config]())
	return keys
}
