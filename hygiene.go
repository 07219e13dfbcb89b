package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"unicode/utf8"

	"parley/auth"
	"parley/graph"
)

// HTTP hygiene of the GraphQL endpoint: what a request must look like
// before gqlgen sees it, and what a panic turns into.
//
// The endpoint takes JSON over POST and queries over GET, nothing else.
// Forms (multipart/form-data, application/x-www-form-urlencoded) and
// text/plain are what a web page of another origin can POST without a
// CORS preflight; refusing them (415) keeps cross-site request forgery
// out, on top of the tokens being headers, not cookies. A body that is not
// a JSON request object is refused (400) with a message that says where
// it went wrong and never echoes it: gqlgen's own decode error quotes the
// whole body, which may be megabytes, or someone else's data reflected.

// requestIDHeader carries the request id to the client and, from a
// proxy, to the server.
const requestIDHeader = "X-Request-Id"

// writeJSONError writes one GraphQL error with code and the status.
func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}},
	})
}

// checkPOST refuses POST requests to h that are not a JSON GraphQL request
// object. The body is read whole (limitBody has already bounded it) and
// handed on unchanged.
func checkPOST(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			writeJSONError(w, http.StatusUnsupportedMediaType, "BAD_USER_INPUT",
				"send the request as JSON with Content-Type: application/json; forms and other types are not accepted")
			return
		}
		body, err := readAll(r)
		if err != nil {
			writeJSONError(w, http.StatusBadRequest, "BAD_USER_INPUT", "the request body could not be read")
			return
		}
		if msg := checkRequestBody(body); msg != "" {
			writeJSONError(w, http.StatusBadRequest, "BAD_USER_INPUT", msg)
			return
		}
		r.Body = wholeBody(body)
		h.ServeHTTP(w, r)
	})
}

// checkRequestBody returns what is wrong with body as a GraphQL request
// object, "" when nothing is. The message names a position or a member,
// never the body's content. A body of an import can be tens of megabytes,
// so the common case costs one validity scan and one skim of the top
// level; only a broken body is decoded to say where it breaks.
func checkRequestBody(body []byte) string {
	if !utf8.Valid(body) {
		return "the request body is not valid UTF-8"
	}
	if !json.Valid(body) {
		return describeInvalidJSON(body)
	}
	i := skipSpace(body, 0)
	if body[i] != '{' {
		return "the request body must be a JSON object with a query; batches (arrays) are not accepted"
	}
	for i = skipSpace(body, i+1); body[i] != '}'; i = skipSpace(body, i+1) {
		end := skipValue(body, i)
		name, ok := memberName(body[i:end])
		if !ok {
			return "the request body is not a GraphQL request object"
		}
		i = skipSpace(body, skipSpace(body, end)+1) // past the colon
		// Names match as the transport's decoder (encoding/json) matches
		// them, ignoring case: "Query" sets the query too.
		switch first := body[i]; {
		case bytes.EqualFold(name, []byte("query")), bytes.EqualFold(name, []byte("operationName")):
			if first != '"' && first != 'n' {
				return fmt.Sprintf("the request body's %q member must be a string", name)
			}
		case bytes.EqualFold(name, []byte("variables")), bytes.EqualFold(name, []byte("extensions")):
			if first != '{' && first != 'n' {
				return fmt.Sprintf("the request body's %q member must be an object", name)
			}
		}
		i = skipSpace(body, skipValue(body, i)) // at the comma or the closing brace
		if body[i] == '}' {
			break
		}
	}
	return ""
}

// memberName decodes the JSON string raw, a member name: its bytes as
// they are when it has no escapes, the common case.
func memberName(raw []byte) ([]byte, bool) {
	if len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1], true
	}
	var name string
	if err := json.Unmarshal(raw, &name); err != nil {
		return nil, false
	}
	return []byte(name), true
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the JSON value that starts at i,
// in a document json.Valid has accepted.
func skipValue(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
			if depth < 0 {
				return i // the end of the enclosing value: a scalar ended here
			}
		case ',', ' ', '\t', '\n', '\r', ':':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

// describeInvalidJSON says where body, which is not valid JSON, goes wrong.
func describeInvalidJSON(body []byte) string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	err := dec.Decode(&v)
	var syntax *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF):
		return "the request body is empty; send a JSON object with a query"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the request body ends in the middle of its JSON"
	case errors.As(err, &syntax):
		return fmt.Sprintf("the request body is not valid JSON: syntax error at byte %d", syntax.Offset)
	case err == nil:
		return "the request body has data after its JSON object"
	}
	return "the request body is not valid JSON"
}

// checkGET refuses GET requests to h whose query string does not decode,
// is not UTF-8, or carries variables or extensions that are not JSON
// objects; gqlgen would answer the last without an error code. WebSocket
// handshakes pass.
func checkGET(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !auth.IsWebSocket(r) {
			if msg := checkQueryString(r.URL.RawQuery); msg != "" {
				writeJSONError(w, http.StatusBadRequest, "BAD_USER_INPUT", msg)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func checkQueryString(raw string) string {
	params, err := url.ParseQuery(raw)
	if err != nil {
		return "the URL's query string is not valid: percent-encode the query and its variables"
	}
	for name, values := range params {
		for _, v := range values {
			if !utf8.ValidString(v) {
				return fmt.Sprintf("the URL parameter %q is not valid UTF-8", name)
			}
		}
	}
	for _, name := range []string{"variables", "extensions"} {
		v := params.Get(name)
		if v == "" {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(v), &obj); err != nil {
			return fmt.Sprintf("the URL parameter %q must be a JSON object", name)
		}
	}
	return ""
}

// serveRecovering serves r with h and turns a panic into 500 INTERNAL
// with the request id, logged with its stack; the panic's text never
// reaches the client. The GraphQL layer tags its own INTERNAL errors
// with the same id.
func serveRecovering(h http.Handler, w *statusWriter, r *http.Request, id string) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler {
			panic(p) // net/http's way to abort a response: not a bug
		}
		slog.ErrorContext(r.Context(), "panic serving HTTP", "request_id", id, "method", r.Method, "path", r.URL.Path,
			"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		if w.started() {
			// Part of the answer is out: only cutting the connection
			// tells the client it is incomplete.
			panic(http.ErrAbortHandler)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{
			"message":    "internal error",
			"extensions": map[string]any{"code": "INTERNAL", graph.ExtRequestID: id},
		}}})
	}()
	h.ServeHTTP(w, r)
}
