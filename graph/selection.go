package graph

import "github.com/vektah/gqlparser/v2/ast"

// maxFragmentDepth bounds walks through fragment spreads; the validator
// has already refused cycles, so this is a second guard.
const maxFragmentDepth = 64

// variableFree reports whether what sel selects cannot depend on the
// request's variables: no directive on any field, fragment or spread below
// it (fragments expanded), and fieldOK (when set) true of every field. The
// caches of lean plans and of complexity prices keep only such
// selections.
func variableFree(doc *ast.QueryDocument, sel ast.SelectionSet, fieldOK func(*ast.Field) bool, depth int) bool {
	if depth > maxFragmentDepth {
		return false
	}
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if len(s.Directives) > 0 || fieldOK != nil && !fieldOK(s) || !variableFree(doc, s.SelectionSet, fieldOK, depth+1) {
				return false
			}
		case *ast.InlineFragment:
			if len(s.Directives) > 0 || !variableFree(doc, s.SelectionSet, fieldOK, depth+1) {
				return false
			}
		case *ast.FragmentSpread:
			if len(s.Directives) > 0 || doc == nil {
				return false
			}
			def := doc.Fragments.ForName(s.Name)
			if def == nil || len(def.Directives) > 0 || !variableFree(doc, def.SelectionSet, fieldOK, depth+1) {
				return false
			}
		default:
			return false
		}
	}
	return true
}
