package model

import (
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"

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

func (t NodeType) valid() bool {
	switch t {
	case TypeSpeaker, TypeTopic, TypeSource, TypeStatement, TypePosition:
		return true
	}
	return false
}

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
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return bad()
	}
	typ, num, ok := strings.Cut(string(raw), ":")
	if !ok || !NodeType(typ).valid() {
		return bad()
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n == 0 {
		return bad()
	}
	id := ID{Type: NodeType(typ), Local: domain.ID(n)}
	// The decoders are lenient (line breaks in base64, a sign or leading
	// zeros in the number); an id has one spelling, so anything else is
	// not an id.
	if id.String() != s {
		return bad()
	}
	return id, nil
}

// String returns the opaque text form.
func (id ID) String() string {
	return base64.RawURLEncoding.EncodeToString(
		fmt.Appendf(nil, "%s:%d", id.Type, id.Local))
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
