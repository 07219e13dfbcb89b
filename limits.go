package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"parley/auth"
)

// Default request body limits. Ordinary queries and mutations are small;
// an import batch of 5,000 records of a few kilobytes each is not.
const (
	defaultMaxBody       = 1 << 20  // 1 MiB
	defaultMaxImportBody = 64 << 20 // 64 MiB
)

// limitBody bounds request bodies: limit for ordinary requests, importLimit
// for an importStatements mutation from a caller who may write. A body
// past its limit gets 413 with a GraphQL error that says which limit and
// how to stay under it, rather than a dropped connection or a decoding
// error. The body is read here, whole, so the handler sees an ordinary
// request.
func limitBody(h http.Handler, limit, importLimit int64) http.Handler {
	if limit <= 0 {
		limit = defaultMaxBody
	}
	if importLimit < limit {
		importLimit = max(defaultMaxImportBody, limit)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Only a caller who may import gets the import limit: anyone else
		// cannot make the server hold more than the ordinary one.
		readLimit, what := limit, "a request"
		canImport := auth.CallerFrom(r.Context()).Role.Allows(auth.RoleWrite)
		if canImport {
			readLimit, what = importLimit, "an import request"
		}
		if r.ContentLength > readLimit {
			tooLarge(w, readLimit, what)
			return
		}
		// Sized by the declared length, which the check above bounds:
		// one allocation instead of io.ReadAll's doubling series.
		var buf bytes.Buffer
		buf.Grow(int(max(r.ContentLength, 0)) + bytes.MinRead)
		_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, readLimit))
		body := buf.Bytes()
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			tooLarge(w, readLimit, what)
			return
		case err != nil:
			http.Error(w, "could not read the request body", http.StatusBadRequest)
			return
		}
		if int64(len(body)) > limit && !isImport(body, limit) {
			tooLarge(w, limit, "a request")
			return
		}
		r.Body = wholeBody(body)
		r.ContentLength = int64(len(body))
		h.ServeHTTP(w, r)
	})
}

// readBody is a request body already read whole. Handlers further in
// take its bytes from Bytes instead of reading and copying them again:
// checkPOST, and the GraphQL POST transport, which looks for the method.
type readBody struct {
	*bytes.Reader
	b []byte
}

func wholeBody(b []byte) readBody { return readBody{bytes.NewReader(b), b} }

// Bytes returns the whole body, however much of it has been read.
func (r readBody) Bytes() []byte { return r.b }

// Close implements io.Closer.
func (readBody) Close() error { return nil }

// readAll returns the whole body of r, without a copy when it has been
// read already.
func readAll(r *http.Request) ([]byte, error) {
	if b, ok := r.Body.(readBody); ok {
		return b.Bytes(), nil
	}
	return io.ReadAll(r.Body)
}

// isImport reports whether the body's operation is a mutation that calls
// importStatements: the operation the body names, or its only one. The
// query is parsed, so that the name in a comment, a string or an alias
// does not raise the limit, and the variables are never looked at. A
// query text longer than limit is no import's: imports carry their
// records in the variables.
func isImport(body []byte, limit int64) bool {
	var req struct {
		Query         string `json:"query"`
		OperationName string `json:"operationName"`
	}
	if json.Unmarshal(body, &req) != nil || int64(len(req.Query)) > limit {
		return false
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: req.Query})
	if err != nil {
		return false
	}
	var op *ast.OperationDefinition
	switch {
	case req.OperationName != "":
		op = doc.Operations.ForName(req.OperationName)
	case len(doc.Operations) == 1:
		op = doc.Operations[0]
	}
	if op == nil || op.Operation != ast.Mutation {
		return false
	}
	return selects(doc, op.SelectionSet, "importStatements", 0)
}

// selects reports whether set selects the root field name, directly or
// through fragments (at most a few levels deep: the document limits refuse
// deeper nesting later anyway).
func selects(doc *ast.QueryDocument, set ast.SelectionSet, name string, depth int) bool {
	if depth > 8 {
		return false
	}
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if sel.Name == name {
				return true
			}
		case *ast.InlineFragment:
			if selects(doc, sel.SelectionSet, name, depth+1) {
				return true
			}
		case *ast.FragmentSpread:
			if f := doc.Fragments.ForName(sel.Name); f != nil && selects(doc, f.SelectionSet, name, depth+1) {
				return true
			}
		}
	}
	return false
}

func tooLarge(w http.ResponseWriter, limit int64, what string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	msg := fmt.Sprintf("the request body is larger than the %d bytes allowed for %s; send smaller batches", limit, what)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": "BAD_USER_INPUT"}}},
	})
}
