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
	var seen [4]bool
	end := members(b, skipWS(b, 0), func(name []byte, v int) int {
		var m, next int
		switch string(name) {
		case "query":
			m, next = 0, stringMember(b, v, &p.Query)
		case "operationName":
			m, next = 1, stringMember(b, v, &p.OperationName)
		case "variables":
			m, next = 2, objectMember(b, v, &p.Variables)
		case "extensions":
			m, next = 3, objectMember(b, v, &p.Extensions)
		default:
			return -1 // encoding/json matches other spellings, or ignores the member
		}
		if seen[m] {
			return -1
		}
		seen[m] = true
		return next
	})
	return end > 0 && skipWS(b, end) == len(b)
}

// members walks the object at b[i:], calling member with each member's
// name, which must be a plain string, and the index of its value; member
// returns the index past the value, or -1 to give up. members returns the
// index past the object, or -1.
func members(b []byte, i int, member func(name []byte, v int) int) int {
	if i >= len(b) || b[i] != '{' {
		return -1
	}
	if i = skipWS(b, i+1); i < len(b) && b[i] == '}' {
		return i + 1
	}
	for {
		name, end, ok := plainString(b, i)
		if !ok {
			return -1
		}
		if i = skipWS(b, end); i >= len(b) || b[i] != ':' {
			return -1
		}
		if i = member(name, skipWS(b, i+1)); i < 0 {
			return -1
		}
		if i = skipWS(b, i); i >= len(b) {
			return -1
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return i + 1
		default:
			return -1
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
	if b[i] == '{' {
		if end := stringsObject(b, i, m); end > 0 {
			return end
		}
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
// past it; -1 when the object is not of that shape.
func stringsObject(b []byte, i int, m *map[string]any) int {
	out := make(map[string]any, 2)
	end := members(b, i, func(name []byte, v int) int {
		s, end, ok := plainString(b, v)
		if !ok {
			return -1
		}
		out[string(name)] = string(s)
		return end
	})
	if end > 0 {
		*m = out
	}
	return end
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
