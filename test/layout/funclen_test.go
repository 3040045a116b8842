package layout

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// maxFuncLines bounds a function of Herald's own: not a test, not the
// test harnesses under test/, not generated code. Past it a function holds
// more than one decision, and the reader more than one screen.
const maxFuncLines = 80

func TestNoFunctionIsLong(t *testing.T) {
	eachFunc(t, func(fset *token.FileSet, rel string, fn *ast.FuncDecl) {
		if n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1; n > maxFuncLines {
			t.Errorf("%s: %s is %d lines (at most %d)", rel, fn.Name.Name, n, maxFuncLines)
		}
	})
}

// A bool parameter says nothing at the call (f(x, true)): Herald's own
// functions take a named type or a struct instead.
func TestNoPositionalBools(t *testing.T) {
	eachFunc(t, func(fset *token.FileSet, rel string, fn *ast.FuncDecl) {
		for _, f := range fn.Type.Params.List {
			if id, ok := f.Type.(*ast.Ident); ok && id.Name == "bool" {
				t.Errorf("%s: %s takes a bool parameter", rel, fn.Name.Name)
			}
		}
	})
}

// eachFunc calls f with each function of Herald's own (maxFuncLines says
// which files count).
func eachFunc(t *testing.T, f func(fset *token.FileSet, rel string, fn *ast.FuncDecl)) {
	t.Helper()
	fset := token.NewFileSet()
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "../.." && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata" || path == "../../test") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		if ast.IsGenerated(file) {
			return nil
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			rel, _ := filepath.Rel("../..", path)
			f(fset, rel, fn)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
