package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// event is one line of go test -json (see go doc test2json).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // of build-output events
}

// skip is a skipped test and the reason it logged.
type skip struct{ pkg, test, reason string }

// report turns go test -json back into go test's plain output, keeping
// each test's output until it is known whether the test failed.
type report struct {
	w        io.Writer
	output   map[string][]string // package + " " + test -> its output so far
	skips    []skip
	packages []string // every package seen, to name the skipped ones briefly
}

func newReport(w io.Writer) *report {
	return &report{w: w, output: map[string][]string{}}
}

// read consumes go test -json from r until it ends.
func (rp *report) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			fmt.Fprintf(rp.w, "%s\n", line) // not an event: pass it on
			continue
		}
		rp.add(e)
	}
	return sc.Err()
}

func (rp *report) add(e event) {
	if e.Action == "start" {
		rp.packages = append(rp.packages, e.Package)
	}
	key := e.Package + " " + e.Test
	switch {
	case e.Action == "build-output":
		fmt.Fprint(rp.w, e.Output)
	case e.Test == "" && e.Action == "output":
		// A package's own lines: ok, FAIL, a panic outside any test. The
		// PASS that the test binary prints is left out, as go test does
		// without -v.
		if e.Output != "PASS\n" {
			fmt.Fprint(rp.w, e.Output)
		}
	case e.Test == "":
	case e.Action == "output":
		rp.output[key] = append(rp.output[key], e.Output)
	case e.Action == "fail":
		for _, l := range rp.output[key] {
			fmt.Fprint(rp.w, l)
		}
		delete(rp.output, key)
	case e.Action == "skip":
		rp.skips = append(rp.skips, skip{e.Package, e.Test, reason(rp.output[key])})
		delete(rp.output, key)
	case e.Action == "pass":
		delete(rp.output, key)
	}
}

// reason is the last line a skipped test logged (its t.Skip message),
// without the file:line go test puts before it.
func reason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		t := strings.TrimSpace(lines[i])
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		if m := fileLine.FindStringIndex(t); m != nil {
			t = t[m[1]:]
		}
		return t
	}
	return "(no reason given)"
}

var fileLine = regexp.MustCompile(`^[\w.-]+\.go:\d+: `)

// printSkips lists the skipped tests, if any, grouped by reason.
func (rp *report) printSkips() {
	if len(rp.skips) == 0 {
		return
	}
	var (
		reasons []string
		tests   = map[string][]string{}
	)
	pkgs := slices.Clone(rp.packages)
	for _, s := range rp.skips {
		pkgs = append(pkgs, s.pkg)
	}
	prefix := commonDir(pkgs)
	for _, s := range rp.skips {
		if tests[s.reason] == nil {
			reasons = append(reasons, s.reason)
		}
		pkg := strings.TrimPrefix(s.pkg+"/", prefix)
		pkg = strings.TrimSuffix(pkg, "/")
		if pkg == "" {
			pkg = "."
		}
		tests[s.reason] = append(tests[s.reason], pkg+" "+s.test)
	}
	fmt.Fprintf(rp.w, "\n%d tests skipped:\n", len(rp.skips))
	for _, r := range reasons {
		names := tests[r]
		if len(names) > 4 {
			names = append(names[:3:3], fmt.Sprintf("and %d more", len(names)-3))
		}
		fmt.Fprintf(rp.w, "  %s\n      %s\n", r, strings.Join(names, ", "))
	}
}

// commonDir is the import path prefix, up to a slash, that every package
// shares.
func commonDir(pkgs []string) string {
	prefix := pkgs[0] + "/"
	for _, p := range pkgs[1:] {
		for !strings.HasPrefix(p+"/", prefix) {
			prefix = prefix[:strings.LastIndex(prefix[:len(prefix)-1], "/")+1]
		}
	}
	return prefix
}
