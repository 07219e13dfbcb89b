package graph

import (
	"encoding/base64"
	"strconv"
	"time"

	"parley/domain"
	"parley/graph/model"
)

// The appenders below write scalars exactly as gqlgen's marshalers do, so
// that a lean result is byte for byte what gqlgen would have written.

const hexDigits = "0123456789ABCDEF"

// appendJSONString appends s as a JSON string, escaping as gqlgen's
// graphql.MarshalString does: quotes, backslashes and control characters.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '\\' && c != '"' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		case '\n':
			b = append(b, '\\', 'n')
		case '\\', '"':
			b = append(b, '\\', c)
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendOptString appends a nullable string.
func appendOptString(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendJSONString(b, *s)
}

// appendID appends a global id as model.ID.MarshalGQL writes it.
func appendID(b []byte, id model.ID) []byte {
	var raw [64]byte
	text := strconv.AppendUint(append(append(raw[:0], id.Type...), ':'), uint64(id.Local), 10)
	b = append(b, '"')
	b = base64.RawURLEncoding.AppendEncode(b, text)
	return append(b, '"')
}

// appendEnum appends an enum value, or reports false for a value the
// schema does not define (gqlgen's error to report).
func appendEnum(b []byte, v string, valid bool) ([]byte, bool) {
	if !valid {
		return b, false
	}
	return appendJSONString(b, v), true
}

// appendDateTime appends a DateTime as model.MarshalDateTime writes it.
func appendDateTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendDay appends a Date as model.MarshalDay writes it.
func appendDay(b []byte, d domain.Day) []byte {
	b = append(b, '"')
	b, _ = d.AppendText(b)
	return append(b, '"')
}
