package model

import (
	"time"

	"github.com/99designs/gqlgen/graphql"

	"parley/domain"
)

// The scalars below bind GraphQL scalars to domain and standard types
// through gqlgen's external marshalers. Every parse failure is a coded
// BAD_USER_INPUT error, so that the error presenter can tell a client's bad
// value from a server fault.

// MarshalPartialDate writes the canonical text form of the PartialDate
// scalar.
func MarshalPartialDate(d domain.PartialDate) graphql.Marshaler {
	return graphql.MarshalString(d.String())
}

// UnmarshalPartialDate parses the PartialDate scalar with the domain's
// parser, whose message says what is wrong.
func UnmarshalPartialDate(v any) (domain.PartialDate, error) {
	s, ok := v.(string)
	if !ok {
		return domain.PartialDate{}, domain.Errorf(domain.CodeBadUserInput,
			"a partial date must be a string such as \"2025-12-02\", \"2025-12\", \"2025\" or \"2025-11-24/2025-11-30\"")
	}
	return domain.ParsePartialDate(s)
}

// MarshalDay writes the Date scalar, YYYY-MM-DD.
func MarshalDay(d domain.Day) graphql.Marshaler {
	return graphql.MarshalString(d.String())
}

// UnmarshalDay parses the Date scalar, YYYY-MM-DD.
func UnmarshalDay(v any) (domain.Day, error) {
	d, err := UnmarshalPartialDate(v)
	if err != nil {
		return 0, err
	}
	if d.Precision() != domain.PrecisionDay {
		return 0, domain.Errorf(domain.CodeBadUserInput, "date %q must be a day, YYYY-MM-DD", d)
	}
	return d.Start(), nil
}

// MarshalDateTime writes the DateTime scalar in RFC 3339 form, in UTC.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.MarshalString(t.UTC().Format(time.RFC3339Nano))
}

// UnmarshalDateTime parses the DateTime scalar, RFC 3339 with an optional
// fraction of a second.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, domain.Errorf(domain.CodeBadUserInput,
			"a date-time must be an RFC 3339 string such as \"2025-12-01T18:00:00Z\"")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, domain.Errorf(domain.CodeBadUserInput,
			"%q is not an RFC 3339 date-time such as \"2025-12-01T18:00:00Z\"", s)
	}
	return t, nil
}
