package graph

import (
	"bytes"
	"encoding/json"
	"io"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
)

// The request object of a POST is decoded by hand when it has the plain
// shape every client sends: the four members spelled as the spec spells
// them, each at most once, and a query and an operation name without
// escapes. encoding/json decodes it through reflection, one byte at a time
// for a query text of several hundred bytes: a tenth of the server's time
// on a statement by id (docs/benchmarks.md). Anything else, including
// anything malformed, goes to encoding/json as before, so that the result
// and the errors stay exactly its own; FuzzDecodeParams holds the two to
// the same answers.

// bodyBytes returns the whole body: without a copy when the server has
// already read it whole (a body with a Bytes method, as the server's body
// limit hands on).
func bodyBytes(body io.Reader) ([]byte, error) {
	if b, ok := body.(interface{ Bytes() []byte }); ok {
		return b.Bytes(), nil
	}
	return io.ReadAll(body)
}

// decodeParams decodes a GraphQL request object from body into p as
// encoding/json would (with UseNumber), the fast way or the slow one.
func decodeParams(body []byte, p *graphql.RawParams) error {
	if fastParams(body, p) {
		return nil
	}
	*p = graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // variables keep their numbers exact, as gqlgen expects
	return dec.Decode(p)
}

// fastParams decodes body into p when it has the plain shape, and reports
// whether it did; when it reports false, p holds partial results.
func fastParams(b []byte, p *graphql.RawParams) bool {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	var seen [4]bool
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipWS(b, i+1) == len(b)
	}
	for {
		name, end, ok := plainString(b, i)
		if !ok {
			return false
		}
		i = skipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipWS(b, i+1)
		var m int
		switch string(name) {
		case "query":
			m, i, ok = 0, stringMember(b, i, &p.Query), true
		case "operationName":
			m, i, ok = 1, stringMember(b, i, &p.OperationName), true
		case "variables":
			m, i, ok = 2, objectMember(b, i, &p.Variables), true
		case "extensions":
			m, i, ok = 3, objectMember(b, i, &p.Extensions), true
		default:
			return false // encoding/json matches other spellings, or ignores the member
		}
		if !ok || i < 0 || seen[m] {
			return false
		}
		seen[m] = true
		i = skipWS(b, i)
		if i >= len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return skipWS(b, i+1) == len(b)
		default:
			return false
		}
	}
}

// stringMember decodes the string or null at b[i:] into s and returns the
// index past it, or -1 when it is neither or has escapes.
func stringMember(b []byte, i int, s *string) int {
	if bytes.HasPrefix(b[i:], []byte("null")) {
		*s = ""
		return i + 4
	}
	v, end, ok := plainString(b, i)
	if !ok {
		return -1
	}
	*s = string(v)
	return end
}

// objectMember decodes the object or null at b[i:] into m with
// encoding/json and returns the index past it, or -1.
func objectMember(b []byte, i int, m *map[string]any) int {
	if i >= len(b) || (b[i] != '{' && b[i] != 'n') {
		return -1
	}
	if end := stringsObject(b, i, m); end > 0 {
		return end
	}
	dec := json.NewDecoder(bytes.NewReader(b[i:]))
	dec.UseNumber()
	if err := dec.Decode(m); err != nil {
		return -1
	}
	return i + int(dec.InputOffset())
}

// stringsObject decodes the object at b[i:] into m when its values are all
// plain strings, as the variables of most reads are, and returns the index
// past it; 0 when the object is not of that shape.
func stringsObject(b []byte, i int, m *map[string]any) int {
	if b[i] != '{' {
		return 0
	}
	out := make(map[string]any, 2)
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		*m = out
		return i + 1
	}
	for {
		k, end, ok := plainString(b, i)
		if !ok {
			return 0
		}
		i = skipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return 0
		}
		v, end, ok := plainString(b, skipWS(b, i+1))
		if !ok {
			return 0
		}
		out[string(k)] = string(v)
		i = skipWS(b, end)
		if i >= len(b) {
			return 0
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			*m = out
			return i + 1
		default:
			return 0
		}
	}
}

// plainString returns the content of the JSON string at b[i:] and the
// index past it, when it has no escape, no control character and is valid
// UTF-8: then the content is the string's value.
func plainString(b []byte, i int) (s []byte, end int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			s = b[i+1 : j]
			return s, j + 1, utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, 0, false
		}
	}
	return nil, 0, false
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
