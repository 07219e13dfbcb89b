package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Default request body limits. Ordinary queries and mutations are small;
// an import batch of 5,000 records of a few kilobytes each is not.
const (
	defaultMaxBody       = 1 << 20  // 1 MiB
	defaultMaxImportBody = 64 << 20 // 64 MiB
)

// importMarker is how limitBody recognizes an import request: its query
// calls the importStatements field.
var importMarker = []byte("importStatements")

// limitBody bounds request bodies: limit for ordinary requests, importLimit
// for requests whose query calls importStatements. A body past its limit
// gets 413 with a GraphQL error that says which limit and how to stay under
// it, rather than a dropped connection or a decoding error. The body is
// read here, whole, so the handler sees an ordinary request.
func limitBody(h http.Handler, limit, importLimit int64) http.Handler {
	if limit <= 0 {
		limit = defaultMaxBody
	}
	if importLimit < limit {
		importLimit = max(defaultMaxImportBody, limit)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > importLimit {
			tooLarge(w, importLimit, "an import request")
			return
		}
		// Sized by the declared length, which the check above bounds:
		// one allocation instead of io.ReadAll's doubling series.
		var buf bytes.Buffer
		buf.Grow(int(max(r.ContentLength, 0)) + bytes.MinRead)
		_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, importLimit))
		body := buf.Bytes()
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			tooLarge(w, importLimit, "an import request")
			return
		case err != nil:
			http.Error(w, "could not read the request body", http.StatusBadRequest)
			return
		}
		if int64(len(body)) > limit && !isImport(body) {
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

// isImport reports whether the body's query calls importStatements. Only
// the query string is looked at, never the variables, so a statement text
// that mentions the word does not raise the limit.
func isImport(body []byte) bool {
	var req struct {
		Query string `json:"query"`
	}
	if json.Unmarshal(body, &req) != nil {
		return false
	}
	return bytes.Contains([]byte(req.Query), importMarker)
}

func tooLarge(w http.ResponseWriter, limit int64, what string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	msg := fmt.Sprintf("the request body is larger than the %d bytes allowed for %s; send smaller batches", limit, what)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": "BAD_USER_INPUT"}}},
	})
}
