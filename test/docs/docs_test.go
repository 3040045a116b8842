// Package docs checks the repository's Markdown against the tree: every
// test, benchmark or fuzz target a document names exists, and every
// relative link leads to a file or folder of the repository.
package docs

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// root is the repository, from this package's folder.
const root = "../.."

// skipped are folders that hold no documents of Herald's.
var skipped = map[string]bool{".git": true, "node_modules": true, ".data": true, "bin": true, "testdata": true}

// cited matches a Go test, benchmark or fuzz target's name.
var cited = regexp.MustCompile(`\b(?:Test|Benchmark|Fuzz)[A-Z][A-Za-z0-9_]*\b`)

// link matches a Markdown link's target: [text](target) and ![alt](target).
var link = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// codePath matches a file named in a code span: `gateway/admit.go`.
var codePath = regexp.MustCompile("`((?:\\.\\./|\\./)*[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*\\.(?:go|md|json|ya?ml|sh|sql|png))`")

// generated are files a run makes, named in documents but not committed.
var generated = regexp.MustCompile(`^\.data/|^bin/`)

// problems lists what doc (its text, at path relative to the repository)
// cites that the tree lacks: names not in tests, links to no file (exists
// says whether a path relative to the repository is there).
func problems(path, text string, tests map[string]bool, exists func(string) bool) []string {
	var out []string
	for _, name := range cited.FindAllString(text, -1) {
		if !tests[name] {
			out = append(out, fmt.Sprintf("%s cites %s, which no test file defines", path, name))
		}
	}
	for _, m := range link.FindAllStringSubmatch(text, -1) {
		target := m[1]
		if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") || strings.HasPrefix(target, "#") {
			continue
		}
		target, _, _ = strings.Cut(target, "#")
		rel := filepath.Clean(filepath.Join(filepath.Dir(path), target))
		if strings.HasPrefix(rel, "..") {
			out = append(out, fmt.Sprintf("%s links to %s, outside the repository", path, m[1]))
		} else if !exists(rel) {
			out = append(out, fmt.Sprintf("%s links to %s, which does not exist", path, m[1]))
		}
	}
	for _, m := range codePath.FindAllStringSubmatch(text, -1) {
		name := m[1]
		fromDoc := filepath.Clean(filepath.Join(filepath.Dir(path), name))
		switch {
		case generated.MatchString(name):
		case strings.HasPrefix(fromDoc, "..") && strings.HasPrefix(name, ".."):
			out = append(out, fmt.Sprintf("%s names %s, outside the repository", path, name))
		case !exists(filepath.Clean(name)) && !exists(fromDoc):
			out = append(out, fmt.Sprintf("%s names %s, which does not exist", path, name))
		}
	}
	return out
}

// testNames are the tests, benchmarks, fuzz targets and examples defined in
// the repository's _test.go files.
func testNames(t *testing.T) map[string]bool {
	names := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && skipped[d.Name()] {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil {
				names[fn.Name.Name] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// Every Markdown file of the repository cites only tests that exist and
// links only to files that do.
func TestDocumentsCiteRealTestsAndLinks(t *testing.T) {
	tests := testNames(t)
	exists := func(rel string) bool { _, err := os.Stat(filepath.Join(root, rel)); return err == nil }
	docs := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && skipped[d.Name()] {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".md") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		docs++
		for _, problem := range problems(rel, string(b), tests, exists) {
			t.Error(problem)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if docs < 5 || len(tests) < 100 {
		t.Fatalf("read %d documents and %d tests: the walk missed the repository", docs, len(tests))
	}
}

// The check fails on a made-up name and a link to nowhere, and passes what
// is there.
func TestTheCheckCatches(t *testing.T) {
	tests := map[string]bool{"TestReal": true, "BenchmarkReal": true}
	exists := func(rel string) bool { return rel == "docs/real.md" || rel == "README.md" }
	doc := "TestReal and BenchmarkReal; TestMadeUp and FuzzNothing. [a](real.md#part) [b](../README.md) [c](nowhere.md) [d](../../outside.md) [e](https://example.com/x) [f](#anchor)" +
		" `README.md` `real.md` `.data/chaos.json` `gateway/gone.go` `../../elsewhere/limits.md`"
	got := problems("docs/x.md", doc, tests, exists)
	want := []string{"cites TestMadeUp", "cites FuzzNothing", "links to nowhere.md", "links to ../../outside.md, outside",
		"names gateway/gone.go, which does not exist", "names ../../elsewhere/limits.md, outside"}
	if len(got) != len(want) {
		t.Fatalf("problems %q, want %d", got, len(want))
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("problem %d: %q, want one saying %q", i, got[i], want[i])
		}
	}
}

// Code comments cite files in the repository, never the design notes
// outside it.
func TestCommentsCiteTheRepository(t *testing.T) {
	outside := regexp.MustCompile(`DESIGN` + `\.md|\.\./` + `shared/`)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && skipped[d.Name()] {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if m := outside.Find(b); m != nil {
			t.Errorf("%s cites %s, which is not in the repository", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
