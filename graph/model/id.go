package model

import (
	"bytes"
	"encoding/base64"
	"io"
	"strconv"

	"parley/domain"
)

// NodeType is the GraphQL type a global id names.
type NodeType string

// The types that implement Node.
const (
	TypeSpeaker   NodeType = "Speaker"
	TypeTopic     NodeType = "Topic"
	TypeSource    NodeType = "Source"
	TypeStatement NodeType = "Statement"
	TypePosition  NodeType = "Position"
)

// ID is a Relay global object id: a record's type and its id in the store.
// Clients see it as an opaque string, the unpadded base64url form of
// "Type:id" ("Statement:42" is "U3RhdGVtZW50OjQy"); the type prefix lets
// Query.node find the record, and the encoding keeps clients from building
// ids by hand. Every ID has exactly one text form.
type ID struct {
	Type  NodeType
	Local domain.ID // the record's id within its type
}

// NewID returns the global id of record id of type t.
func NewID(t NodeType, id domain.ID) ID { return ID{Type: t, Local: id} }

// maxIDLen bounds the text form: the longest type name, a colon and a
// 20-digit uint64, base64-encoded, fit well within it.
const maxIDLen = 64

// ParseID decodes the text form of a global id. Anything that is not
// exactly what String produces is a BAD_USER_INPUT error.
func ParseID(s string) (ID, error) {
	bad := func() (ID, error) {
		if len(s) > maxIDLen {
			return ID{}, domain.Errorf(domain.CodeBadUserInput, "is not a valid id")
		}
		return ID{}, domain.Errorf(domain.CodeBadUserInput, "%q is not a valid id", s)
	}
	if s == "" || len(s) > maxIDLen {
		return bad()
	}
	var buf [maxIDLen]byte
	n, err := base64.RawURLEncoding.Strict().Decode(buf[:], []byte(s))
	if err != nil {
		return bad()
	}
	raw := buf[:n]
	colon := bytes.IndexByte(raw, ':')
	if colon < 0 {
		return bad()
	}
	typ := nodeType(raw[:colon])
	num, err := strconv.ParseUint(string(raw[colon+1:]), 10, 64)
	if typ == "" || err != nil || num == 0 {
		return bad()
	}
	id := ID{Type: typ, Local: domain.ID(num)}
	// The decoders are lenient (line breaks in base64, a sign or leading
	// zeros in the number); an id has one spelling, so anything else is
	// not an id.
	if id.String() != s {
		return bad()
	}
	return id, nil
}

// nodeType returns the type named b, "" when b names none; the constants
// are returned rather than a new string.
func nodeType(b []byte) NodeType {
	for _, t := range [...]NodeType{TypeStatement, TypeSpeaker, TypeTopic, TypeSource, TypePosition} {
		if string(b) == string(t) {
			return t
		}
	}
	return ""
}

// String returns the text form of id.
func (id ID) String() string {
	var buf [maxIDLen]byte
	b := append(buf[:0], id.Type...)
	b = append(b, ':')
	b = strconv.AppendUint(b, uint64(id.Local), 10)
	return base64.RawURLEncoding.EncodeToString(b)
}

// As returns the record id when id names a record of type t, and a
// BAD_USER_INPUT error otherwise.
func (id ID) As(t NodeType) (domain.ID, error) {
	if id.Type != t {
		return 0, domain.Errorf(domain.CodeBadUserInput, "is the id of a %s; a %s id is needed", id.Type, t)
	}
	return id.Local, nil
}

// MarshalGQL implements graphql.Marshaler.
func (id ID) MarshalGQL(w io.Writer) {
	io.WriteString(w, strconv.Quote(id.String()))
}

// UnmarshalGQL implements graphql.Unmarshaler.
func (id *ID) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return domain.Errorf(domain.CodeBadUserInput, "an id must be a string")
	}
	parsed, err := ParseID(s)
	if err != nil {
		return err
	}
	*id = parsed
	return nil
}
