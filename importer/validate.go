package importer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"parley/domain"
)

// record is one input record after phase 1: its own fields normalized and
// parsed, its references checked for form. Phase 2 resolves the references
// against the store.
type record struct {
	index int
	// stmt holds the statement's own fields, normalized; phase 2 sets its
	// SpeakerID, TopicIDs and SourceIDs.
	stmt      domain.Statement
	speaker   speakerRef
	topics    []topicRef
	topicIdx  map[string]int // topic key → index in topics
	sources   []domain.Source
	positions []positionRef
}

// speakerRef is a normalized SpeakerRef. Name and Kind are "" when the
// reference leaves them out: they are needed only to create the speaker.
// The roles' OrgIDs are 0; orgs names each role's organization.
type speakerRef struct {
	domain.Speaker
	orgs []orgRef // parallel to Speaker.Roles
}

// orgRef names the organization of a role; Key is "" for a role in none.
// Name is "" when not given; Kind defaults to ORGANIZATION.
type orgRef struct {
	Key  string
	Name string
	Kind domain.SpeakerKind
	// kindGiven tells a defaulted Kind from one the record asserted, which
	// is compared with an existing organization's.
	kindGiven bool
}

// topicRef is a normalized TopicRef; Name is "" when not given.
type topicRef struct {
	domain.Topic
	parent string // the parent's key, "" for none
}

// positionRef is a normalized PositionRef with its effective asOf.
type positionRef struct {
	topic   string
	stance  domain.Stance
	summary string
	asOf    domain.PartialDate
}

// issues collects the problems found in one record.
type issues []domain.Issue

// add records err, a problem with the field at prefix (plus the path err
// carries, when it is a *domain.Error).
func (l *issues) add(err error, prefix ...string) {
	var e *domain.Error
	if !errors.As(err, &e) {
		e = &domain.Error{Code: domain.CodeBadUserInput, Message: err.Error()}
	}
	*l = append(*l, domain.Issue{Path: join(prefix, e.Path), Code: e.Code, Message: e.Message})
}

// addf records a problem of the given code with the field at path.
func (l *issues) addf(code domain.Code, path []string, format string, args ...any) {
	*l = append(*l, domain.Issue{Path: path, Code: code, Message: fmt.Sprintf(format, args...)})
}

// join returns a new path: a followed by b. Issues never share backing
// arrays, so a caller may keep and change one without touching another.
func join(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

func path(parts ...any) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		switch v := p.(type) {
		case string:
			out[i] = v
		case int:
			out[i] = strconv.Itoa(v)
		default:
			panic(fmt.Sprintf("importer: path element %T", p))
		}
	}
	return out
}

// Stand-ins for values a reference may leave out, so that the domain's
// Normalize methods can check everything the reference does give. They
// never reach the store.
const (
	standInName = "stand-in"
	standInID   = domain.ID(1)
)

// validate is phase 1 for one record: everything that can be checked
// without the store. The record is usable only when no issue is returned.
func validate(index int, in *domain.StatementImport) (*record, issues) {
	var errs issues
	rec := &record{index: index}

	saidOnValid := true
	st := domain.Statement{
		ExternalID: in.ExternalID,
		Text:       in.Text,
		Kind:       in.Kind,
		SpeakerID:  standInID,
		DateText:   in.DateText,
		Location:   in.Location,
		Context:    in.Context,
		Language:   in.Language,
	}
	if in.SaidOn != "" {
		d, err := domain.ParsePartialDate(in.SaidOn)
		if err != nil {
			errs.add(err, "saidOn")
			saidOnValid = false
		}
		st.SaidOn = d
	}
	if err := st.Normalize(); err != nil {
		errs.add(err)
	}
	st.SpeakerID = 0
	rec.stmt = st

	rec.speaker = validateSpeaker(&in.Speaker, &errs)

	if len(in.Topics) > domain.MaxTopicsPer {
		errs.addf(domain.CodeBadUserInput, path("topics"), "has %d entries; the limit is %d", len(in.Topics), domain.MaxTopicsPer)
	}
	rec.topicIdx = make(map[string]int, len(in.Topics))
	for j := range in.Topics {
		t, ok := validateTopic(j, &in.Topics[j], &errs)
		if !ok {
			continue
		}
		if k, dup := rec.topicIdx[t.Key]; dup {
			errs.addf(domain.CodeBadUserInput, path("topics", j, "key"), "topic %q is already listed at topics.%d", t.Key, k)
			continue
		}
		rec.topicIdx[t.Key] = len(rec.topics)
		rec.topics = append(rec.topics, t)
	}

	if len(in.Sources) > domain.MaxSourcesPer {
		errs.addf(domain.CodeBadUserInput, path("sources"), "has %d entries; the limit is %d", len(in.Sources), domain.MaxSourcesPer)
	}
	seenURL := make(map[string]int, len(in.Sources))
	for j := range in.Sources {
		s, ok := validateSource(j, &in.Sources[j], &errs)
		if !ok {
			continue
		}
		if k, dup := seenURL[s.URL]; dup {
			errs.addf(domain.CodeBadUserInput, path("sources", j, "url"), "source %s is already listed at sources.%d", s.URL, k)
			continue
		}
		seenURL[s.URL] = j
		rec.sources = append(rec.sources, s)
	}

	seenPos := make(map[string]int, len(in.Positions))
	for i := range in.Positions {
		ps, ok := validatePosition(i, &in.Positions[i], st.SaidOn, saidOnValid, &errs)
		if !ok {
			continue
		}
		// (speaker, topic, asOf) identifies a position, and the speaker is
		// the statement's: two entries with the same topic and asOf would
		// be one position with two stances.
		k := ps.topic + "\x00" + ps.asOf.String()
		if j, dup := seenPos[k]; dup {
			errs.addf(domain.CodeBadUserInput, path("positions", i, "topic"), "repeats the position on %q as of %s at positions.%d", ps.topic, ps.asOf, j)
			continue
		}
		seenPos[k] = i
		rec.positions = append(rec.positions, ps)
	}
	return rec, errs
}

func validateSpeaker(in *domain.SpeakerRef, errs *issues) speakerRef {
	name := strings.TrimSpace(in.Name)
	if in.Key == "" && name == "" {
		errs.addf(domain.CodeBadUserInput, path("speaker", "key"), "is required: give the speaker's key, or its name to derive the key from")
		return speakerRef{}
	}
	probe := domain.Speaker{
		Key:         in.Key,
		Name:        name,
		Kind:        in.Kind,
		Country:     in.Country,
		Description: in.Description,
		WikidataID:  in.WikidataID,
		Aliases:     append([]string(nil), in.Aliases...),
	}
	if probe.Name == "" {
		probe.Name = standInName
	}
	if probe.Kind == "" {
		probe.Kind = domain.SpeakerPerson
	}
	var orgs []orgRef
	for i := range in.Roles {
		role, org := validateRole(i, &in.Roles[i], errs)
		probe.Roles = append(probe.Roles, role)
		orgs = append(orgs, org)
	}
	if err := probe.Normalize(); err != nil {
		errs.add(err, "speaker")
	}
	if name == "" {
		probe.Name = ""
	}
	if in.Kind == "" {
		probe.Kind = ""
	}
	return speakerRef{Speaker: probe, orgs: orgs}
}

func validateRole(i int, in *domain.RoleRef, errs *issues) (domain.Role, orgRef) {
	role := domain.Role{Title: in.Title}
	for _, f := range []struct {
		name string
		text string
		dst  *domain.PartialDate
	}{{"from", in.From, &role.From}, {"to", in.To, &role.To}} {
		if f.text == "" {
			continue
		}
		d, err := domain.ParsePartialDate(f.text)
		if err != nil {
			errs.add(err, "speaker", "roles", strconv.Itoa(i), f.name)
		}
		*f.dst = d
	}

	if in.Org == "" && strings.TrimSpace(in.OrgName) == "" {
		if in.OrgKind != "" {
			errs.addf(domain.CodeBadUserInput, path("speaker", "roles", i, "org"), "is required when orgKind is given: give the organization's key")
		}
		return role, orgRef{}
	}
	// The organization is a speaker in its own right: check the fields
	// that would create it as the domain checks a speaker's.
	org := domain.Speaker{Key: in.Org, Name: strings.TrimSpace(in.OrgName), Kind: in.OrgKind}
	if org.Name == "" {
		org.Name = standInName
	}
	if org.Kind == "" {
		org.Kind = domain.SpeakerOrganization
	}
	if err := org.Normalize(); err != nil {
		var e *domain.Error
		if errors.As(err, &e) && len(e.Path) > 0 && orgFields[e.Path[0]] != "" {
			c := *e
			c.Path = append([]string{orgFields[e.Path[0]]}, e.Path[1:]...)
			err = &c
		}
		errs.add(err, "speaker", "roles", strconv.Itoa(i))
	}
	ref := orgRef{Key: org.Key, Name: org.Name, Kind: org.Kind, kindGiven: in.OrgKind != ""}
	if strings.TrimSpace(in.OrgName) == "" {
		ref.Name = ""
	}
	return role, ref
}

// orgFields maps a speaker's fields to the role fields that give them for
// the role's organization.
var orgFields = map[string]string{"key": "org", "name": "orgName", "kind": "orgKind"}

func validateTopic(j int, in *domain.TopicRef, errs *issues) (topicRef, bool) {
	name := strings.TrimSpace(in.Name)
	if in.Key == "" && name == "" {
		errs.addf(domain.CodeBadUserInput, path("topics", j, "key"), "is required: give the topic's key, or its name to derive the key from")
		return topicRef{}, false
	}
	t := domain.Topic{Key: in.Key, Name: name, Description: in.Description}
	if t.Name == "" {
		t.Name = standInName
	}
	ok := true
	if err := t.Normalize(); err != nil {
		errs.add(err, "topics", strconv.Itoa(j))
		ok = false
	}
	if name == "" {
		t.Name = ""
	}
	if in.Parent != "" {
		if err := domain.ValidateKey(in.Parent); err != nil {
			errs.add(err, "topics", strconv.Itoa(j), "parent")
			ok = false
		} else if in.Parent == t.Key {
			errs.addf(domain.CodeBadUserInput, path("topics", j, "parent"), "a topic cannot be its own parent")
			ok = false
		}
	}
	return topicRef{Topic: t, parent: in.Parent}, ok
}

func validateSource(j int, in *domain.SourceRef, errs *issues) (domain.Source, bool) {
	s := domain.Source{URL: in.URL, Title: in.Title, Publisher: in.Publisher}
	ok := true
	if in.PublishedAt != "" {
		t, err := time.Parse(time.RFC3339, in.PublishedAt)
		if err != nil {
			errs.addf(domain.CodeBadUserInput, path("sources", j, "publishedAt"), "%q is not an RFC 3339 time such as 2025-12-01T18:00:00Z", in.PublishedAt)
			ok = false
		}
		s.PublishedAt = t
	}
	if err := s.Normalize(); err != nil {
		errs.add(err, "sources", strconv.Itoa(j))
		ok = false
	}
	return s, ok
}

func validatePosition(i int, in *domain.PositionRef, saidOn domain.PartialDate, saidOnValid bool, errs *issues) (positionRef, bool) {
	ok := true
	if in.Topic == "" {
		errs.addf(domain.CodeBadUserInput, path("positions", i, "topic"), "is required: give the key of the topic the position is on")
		ok = false
	} else if err := domain.ValidateKey(in.Topic); err != nil {
		errs.add(err, "positions", strconv.Itoa(i), "topic")
		ok = false
	}
	asOf := saidOn
	switch {
	case in.AsOf != "":
		d, err := domain.ParsePartialDate(in.AsOf)
		if err != nil {
			errs.add(err, "positions", strconv.Itoa(i), "asOf")
			ok = false
		}
		asOf = d
	case saidOn.IsZero() && saidOnValid:
		errs.addf(domain.CodeBadUserInput, path("positions", i, "asOf"), "is required when the statement's saidOn is unknown: a position holds as of a date")
		ok = false
	case saidOn.IsZero():
		// saidOn is invalid and already reported; asOf would default to it.
		ok = false
	}
	probe := domain.Position{SpeakerID: standInID, TopicID: standInID, Stance: in.Stance, Summary: in.Summary, AsOf: asOf}
	if probe.AsOf.IsZero() {
		probe.AsOf = domain.DayDate(0)
	}
	if err := probe.Normalize(); err != nil {
		errs.add(err, "positions", strconv.Itoa(i))
		ok = false
	}
	return positionRef{topic: in.Topic, stance: probe.Stance, summary: probe.Summary, asOf: asOf}, ok
}
