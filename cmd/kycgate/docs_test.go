package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kycgate/kycgate/internal/simulator"
)

// docCommand is a kycgate command line printed in the documentation.
type docCommand struct {
	where string // file:line
	line  string
	// exact is true for a command a user can paste as it is: from a code
	// block, without placeholders.
	exact bool
}

// TestDocs_Commands walks every kycgate command the README and docs/ print
// and checks each against the binary: the command exists, every flag it
// names exists, and a command meant to be pasted parses as printed.
func TestDocs_Commands(t *testing.T) {
	files, _ := filepath.Glob("../../docs/*.md")
	providers, _ := filepath.Glob("../../docs/providers/*.md")
	files = append(append([]string{"../../README.md", "../../SECURITY.md"}, files...), providers...)
	var cmds []docCommand
	for _, f := range files {
		cmds = append(cmds, docCommands(t, f)...)
	}
	t.Logf("%d commands", len(cmds))
	if len(cmds) < 40 {
		t.Fatalf("found only %d commands in the docs; the walk proves little", len(cmds))
	}
	root, _ := newRootCmd(&bytes.Buffer{}, &bytes.Buffer{})
	for _, c := range cmds {
		words := splitWords(c.line)
		if words[0] != "kycgate" && words[0] != "bin/kycgate" {
			t.Errorf("%s: %q", c.where, c.line)
			continue
		}
		args := words[1:]
		cmd, rest, err := root.Find(args)
		if err != nil || cmd == root && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			t.Errorf("%s: %q: no such command (%v)", c.where, c.line, err)
			continue
		}
		for _, w := range rest {
			name, ok := flagName(w)
			if !ok {
				continue
			}
			if cmd.Flags().Lookup(name) == nil && cmd.InheritedFlags().Lookup(name) == nil && name != "help" && !(cmd == root && name == "version") {
				if len(name) == 1 && cmd.Flags().ShorthandLookup(name) != nil {
					continue
				}
				t.Errorf("%s: %q: %s has no flag --%s", c.where, c.line, cmd.CommandPath(), name)
			}
		}
		if c.exact {
			var out, errb bytes.Buffer
			if code := run(context.Background(), append(args, "--help"), &out, &errb); code != 0 {
				t.Errorf("%s: %q does not parse as printed: exit %d %s", c.where, c.line, code, errb.String())
			}
		}
	}
}

// TestDocs_MakeTargets: every make target the README and docs/ name is one
// the Makefile has.
func TestDocs_MakeTargets(t *testing.T) {
	makefile, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z][a-z-]*):`).FindAllStringSubmatch(string(makefile), -1) {
		targets[m[1]] = true
	}
	files, _ := filepath.Glob("../../docs/*.md")
	files = append(files, "../../README.md")
	named := 0
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile("(?m)(?:`|^)make ([a-z][a-z-]*)").FindAllStringSubmatch(string(text), -1) {
			named++
			if !targets[m[1]] {
				t.Errorf("%s names make %s, which the Makefile lacks", strings.TrimPrefix(f, "../../"), m[1])
			}
		}
	}
	if named < 5 {
		t.Fatalf("found only %d make commands in the docs; the walk proves little", named)
	}
}

var (
	inlineCommand = regexp.MustCompile("`((?:bin/)?kycgate [a-z][^`]*)`")
	placeholder   = regexp.MustCompile(`[\[\]|…]|\.\.\.|\b[A-Z]{1,}[A-Z0-9_.]*\b`)
)

// docCommands returns the kycgate command lines of one Markdown file: the
// lines of code blocks that start with kycgate (continuations joined,
// comments cut), and inline code that starts with kycgate and a command.
func docCommands(t *testing.T, path string) []docCommand {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		out     []docCommand
		inBlock bool
		shell   bool // in a block of shell commands
		pending string
		start   int
	)
	name := strings.TrimPrefix(path, "../../")
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if fence := strings.TrimSpace(line); strings.HasPrefix(fence, "```") {
			inBlock = !inBlock
			shell = inBlock && fence != "```" && strings.Contains("sh bash shell console", strings.TrimPrefix(fence, "```"))
			continue
		}
		if !inBlock {
			for _, m := range inlineCommand.FindAllStringSubmatch(line, -1) {
				if words := splitWords(m[1]); len(words) > 1 && !isProse(words[1]) {
					out = append(out, docCommand{where: name + ":" + strconv.Itoa(n), line: m[1]})
				}
			}
			continue
		}
		text := strings.TrimSpace(line)
		if pending == "" {
			text = strings.TrimPrefix(text, "$ ")
			if !strings.HasPrefix(text, "kycgate ") && !strings.HasPrefix(text, "bin/kycgate ") {
				continue
			}
			// A plain block may show other text that starts with the name
			// (the project's layout); a shell block holds only commands.
			if words := splitWords(text); !shell && len(words) > 1 && !strings.HasPrefix(words[1], "-") && isProse(words[1]) {
				continue
			}
			start = n
		}
		if i := strings.Index(text, " #"); i >= 0 {
			text = strings.TrimSpace(text[:i])
		}
		if i := strings.Index(text, " | "); i >= 0 { // piped into another tool
			text = strings.TrimSpace(text[:i])
		}
		if strings.HasSuffix(text, "\\") {
			pending += strings.TrimSuffix(text, "\\") + " "
			continue
		}
		full := pending + text
		pending = ""
		out = append(out, docCommand{where: name + ":" + strconv.Itoa(start), line: full, exact: !placeholder.MatchString(strings.TrimPrefix(full, "bin/"))})
	}
	return out
}

// isProse tells "kycgate fetches …" (a sentence) from "kycgate bench".
func isProse(word string) bool {
	root, _ := newRootCmd(&bytes.Buffer{}, &bytes.Buffer{})
	cmd, _, err := root.Find([]string{word})
	return err != nil || cmd == root
}

// flagName returns the name of a flag word such as --since, [--wait,
// --store=FILE or -o.
func flagName(w string) (string, bool) {
	w = strings.Trim(w, "[]")
	if !strings.HasPrefix(w, "-") || w == "-" {
		return "", false
	}
	name := strings.TrimLeft(w, "-")
	if i := strings.IndexAny(name, "=]|"); i >= 0 {
		name = name[:i]
	}
	return name, name != ""
}

// splitWords splits a command line as a shell would, for the quoting the
// docs use.
func splitWords(s string) []string {
	var (
		words []string
		cur   strings.Builder
		quote rune
		in    bool
	)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

// TestDocs_SimulatorScenarios: docs/simulator.md lists every scenario of
// every provider with the status the verification ends in.
func TestDocs_SimulatorScenarios(t *testing.T) {
	doc, err := os.ReadFile("../../docs/simulator.md")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{} // provider/scenario: status
	names := regexp.MustCompile("`([a-z_]+)`")
	for line := range strings.Lines(string(doc)) {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) != 3 {
			continue
		}
		provider, ends := strings.TrimSpace(cells[0]), strings.Split(strings.TrimSpace(cells[2]), ", ")
		scenarios := names.FindAllStringSubmatch(cells[1], -1)
		if len(scenarios) != len(ends) {
			continue
		}
		for i, m := range scenarios {
			listed[provider+"/"+m[1]] = ends[i]
		}
	}
	for _, p := range simulator.Providers() {
		scenarios, err := simulator.Scenarios(p)
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range scenarios {
			if got, ok := listed[p+"/"+name]; !ok {
				t.Errorf("docs/simulator.md does not list %s's scenario %s", p, name)
			} else if got != string(want) {
				t.Errorf("docs/simulator.md: %s's %s ends %s, the simulator says %s", p, name, got, want)
			}
		}
	}
}
