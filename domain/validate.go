package domain

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on field sizes, in bytes of UTF-8. They keep single records small
// enough that a page of them is cheap, and reject pasted garbage early.
const (
	MaxTextLen    = 100_000 // statement text
	MaxNameLen    = 300     // names, titles, publishers
	MaxLongLen    = 10_000  // descriptions, summaries, context
	MaxShortLen   = 500     // dateText, location
	MaxAliases    = 50
	MaxRoles      = 50
	MaxTopicsPer  = 50 // topics on one statement
	MaxSourcesPer = 50 // sources on one statement
	MaxEvidence   = 1000
	MaxExternalID = 200
)

// checkString trims s and checks it is valid UTF-8, within max bytes and,
// when required, not empty. path names the field in the error.
func checkString(s *string, path []string, max int, required bool) error {
	*s = strings.TrimSpace(*s)
	switch {
	case !utf8.ValidString(*s):
		return FieldErrorf(path, "is not valid UTF-8")
	case len(*s) > max:
		return FieldErrorf(path, "is %d bytes long; the limit is %d", len(*s), max)
	case required && *s == "":
		return FieldErrorf(path, "must not be empty")
	}
	return nil
}

func p(parts ...string) []string { return parts }

// Normalize trims and validates a speaker, deriving its key from its name
// when it has none. Errors name the offending field.
func (s *Speaker) Normalize() error {
	if err := checkString(&s.Name, p("name"), MaxNameLen, true); err != nil {
		return err
	}
	if s.Key == "" {
		s.Key = Slugify(s.Name)
		if s.Key == "" {
			return FieldErrorf(p("key"), "cannot be derived from name %q; give a key of lowercase letters a-z, digits and '-'", s.Name)
		}
		if len(s.Key) > MaxKeyLen {
			s.Key = strings.TrimRight(s.Key[:MaxKeyLen], "-")
		}
	}
	if err := ValidateKey(s.Key); err != nil {
		return WithPath(err, "key")
	}
	if !s.Kind.Valid() {
		return FieldErrorf(p("kind"), "%q is not one of PERSON, ORGANIZATION, COUNTRY", s.Kind)
	}
	if err := checkString(&s.Description, p("description"), MaxLongLen, false); err != nil {
		return err
	}
	if s.Country != "" {
		if err := ValidateCountry(s.Country); err != nil {
			return WithPath(err, "country")
		}
	}
	if s.WikidataID != "" {
		if err := ValidateWikidataID(s.WikidataID); err != nil {
			return WithPath(err, "wikidataId")
		}
	}
	if len(s.Aliases) > MaxAliases {
		return FieldErrorf(p("aliases"), "has %d entries; the limit is %d", len(s.Aliases), MaxAliases)
	}
	aliases := s.Aliases[:0:0]
	for i, a := range s.Aliases {
		if err := checkString(&a, p("aliases", itoa(i)), MaxNameLen, true); err != nil {
			return err
		}
		if !slices.Contains(aliases, a) {
			aliases = append(aliases, a)
		}
	}
	s.Aliases = aliases
	if len(s.Roles) > MaxRoles {
		return FieldErrorf(p("roles"), "has %d entries; the limit is %d", len(s.Roles), MaxRoles)
	}
	for i := range s.Roles {
		r := &s.Roles[i]
		if err := checkString(&r.Title, p("roles", itoa(i), "title"), MaxNameLen, true); err != nil {
			return err
		}
		if !r.From.IsZero() && !r.To.IsZero() && r.To.End() < r.From.Start() {
			return FieldErrorf(p("roles", itoa(i), "to"), "%s is before from %s", r.To, r.From)
		}
	}
	return nil
}

// Normalize trims and validates a topic, deriving its key from its name
// when it has none.
func (t *Topic) Normalize() error {
	if err := checkString(&t.Name, p("name"), MaxNameLen, true); err != nil {
		return err
	}
	if t.Key == "" {
		t.Key = Slugify(t.Name)
		if t.Key == "" {
			return FieldErrorf(p("key"), "cannot be derived from name %q; give a key of lowercase letters a-z, digits and '-'", t.Name)
		}
		if len(t.Key) > MaxKeyLen {
			t.Key = strings.TrimRight(t.Key[:MaxKeyLen], "-")
		}
	}
	if err := ValidateKey(t.Key); err != nil {
		return WithPath(err, "key")
	}
	if t.ParentID != 0 && t.ParentID == t.ID {
		return FieldErrorf(p("parent"), "a topic cannot be its own parent")
	}
	return checkString(&t.Description, p("description"), MaxLongLen, false)
}

// Normalize validates a source and puts its URL in canonical form.
func (s *Source) Normalize() error {
	u, err := NormalizeURL(s.URL)
	if err != nil {
		return WithPath(err, "url")
	}
	s.URL = u
	if err := checkString(&s.Title, p("title"), MaxNameLen, false); err != nil {
		return err
	}
	if err := checkString(&s.Publisher, p("publisher"), MaxNameLen, false); err != nil {
		return err
	}
	if !s.PublishedAt.IsZero() {
		s.PublishedAt = s.PublishedAt.UTC()
		if s.PublishedAt.Before(MinPublishedAt) || !s.PublishedAt.Before(MaxPublishedAt) {
			return FieldErrorf(p("publishedAt"), "%s is out of range: publication times are from %s to before %s",
				s.PublishedAt.Format(time.RFC3339Nano), MinPublishedAt.Format(time.DateOnly), MaxPublishedAt.Format(time.DateOnly))
		}
	}
	return nil
}

// The range of a source's publication time. Stores keep it to the
// nanosecond as an int64 of nanoseconds since 1970, which reaches from
// 1677-09-21 to 2262-04-11; the range is the whole years inside that.
var (
	MinPublishedAt = time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxPublishedAt = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Normalize trims and validates a statement's own fields and sorts its
// references. Whether the referenced records exist is the store's check.
func (s *Statement) Normalize() error {
	if err := checkString(&s.ExternalID, p("externalId"), MaxExternalID, false); err != nil {
		return err
	}
	if err := checkString(&s.Text, p("text"), MaxTextLen, true); err != nil {
		return err
	}
	if !hasText(s.Text) {
		return FieldErrorf(p("text"), "has no letters or digits")
	}
	if !s.Kind.Valid() {
		return FieldErrorf(p("kind"), "%q is not one of QUOTE, PARAPHRASE", s.Kind)
	}
	if s.SpeakerID == 0 {
		return FieldErrorf(p("speaker"), "is required")
	}
	for _, f := range []struct {
		v    *string
		name string
		max  int
	}{{&s.DateText, "dateText", MaxShortLen}, {&s.Location, "location", MaxShortLen}, {&s.Context, "context", MaxLongLen}} {
		if err := checkString(f.v, p(f.name), f.max, false); err != nil {
			return err
		}
	}
	lang, err := NormalizeLanguage(strings.TrimSpace(s.Language))
	if err != nil {
		return WithPath(err, "language")
	}
	s.Language = lang
	s.TopicIDs = sortedIDs(s.TopicIDs)
	s.SourceIDs = sortedIDs(s.SourceIDs)
	if len(s.TopicIDs) > MaxTopicsPer {
		return FieldErrorf(p("topics"), "has %d entries; the limit is %d", len(s.TopicIDs), MaxTopicsPer)
	}
	if len(s.SourceIDs) > MaxSourcesPer {
		return FieldErrorf(p("sources"), "has %d entries; the limit is %d", len(s.SourceIDs), MaxSourcesPer)
	}
	return nil
}

// NaturalKey is a statement's identity when it has no externalId: its
// speaker, normalized text and date.
func (s *Statement) NaturalKey() string {
	return itoa(int(s.SpeakerID)) + "\x00" + s.SaidOn.String() + "\x00" + NormalizeText(s.Text)
}

// Normalize trims and validates a position's own fields.
func (ps *Position) Normalize() error {
	if ps.SpeakerID == 0 {
		return FieldErrorf(p("speaker"), "is required")
	}
	if ps.TopicID == 0 {
		return FieldErrorf(p("topic"), "is required")
	}
	if !ps.Stance.Valid() {
		return FieldErrorf(p("stance"), "%q is not one of SUPPORTS, OPPOSES, NEUTRAL, MIXED", ps.Stance)
	}
	if ps.AsOf.IsZero() {
		return FieldErrorf(p("asOf"), "is required: a position holds as of a date")
	}
	if err := checkString(&ps.Summary, p("summary"), MaxLongLen, false); err != nil {
		return err
	}
	ps.EvidenceIDs = sortedIDs(ps.EvidenceIDs)
	if len(ps.EvidenceIDs) > MaxEvidence {
		return FieldErrorf(p("evidence"), "has %d entries; the limit is %d", len(ps.EvidenceIDs), MaxEvidence)
	}
	return nil
}

func sortedIDs(ids []ID) []ID {
	if len(ids) == 0 {
		return nil
	}
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

func itoa(i int) string { return strconv.Itoa(i) }
