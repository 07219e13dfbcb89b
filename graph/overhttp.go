package graph

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
)

// gqlgen's GET transport follows the GraphQL-over-HTTP specification
// closely; spec adjusts the two places where it does not (POST has its own
// transport, post.go; docs/compatibility.md lists what is left):
//
//   - A GET request for a mutation is refused with 405 Method Not Allowed
//     and Allow: POST, as the specification requires; gqlgen answers 406.
//   - A request that fails before execution (it does not parse or
//     validate) has no "data" entry in an application/graphql-response+json
//     body; gqlgen writes "data": null.
type spec struct{ graphql.Transport }

func (t spec) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	t.Transport.Do(&specWriter{ResponseWriter: w, get: r.Method == http.MethodGet}, r, exec)
}

type specWriter struct {
	http.ResponseWriter
	get    bool
	status int
}

func (w *specWriter) WriteHeader(code int) {
	if w.get && code == http.StatusNotAcceptable {
		// gqlgen's GET transport answers 406 only for an operation that
		// is not a query.
		code = http.StatusMethodNotAllowed
		w.Header().Set("Allow", "POST")
	}
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *specWriter) Write(b []byte) (int, error) {
	if w.status >= 400 && isGraphQLResponse(w.Header().Get("Content-Type")) {
		if out, ok := withoutNullData(b); ok {
			if _, err := w.ResponseWriter.Write(out); err != nil {
				return 0, err
			}
			return len(b), nil
		}
	}
	return w.ResponseWriter.Write(b)
}

func (w *specWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func isGraphQLResponse(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/graphql-response+json"
}

// withoutNullData removes a null "data" entry from a JSON response body;
// it reports false when b is not such a body.
func withoutNullData(b []byte) ([]byte, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil, false
	}
	if d, ok := m["data"]; !ok || !bytes.Equal(bytes.TrimSpace(d), []byte("null")) {
		return nil, false
	}
	delete(m, "data")
	out, err := json.Marshal(m)
	if err != nil {
		return nil, false
	}
	return append(out, '\n'), true
}
