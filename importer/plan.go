package importer

import (
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"parley/domain"
)

// plan is what one record would write. Phase 2 works it out with reads
// only, so that a record that fails, or is skipped by the conflict policy,
// writes nothing; then batch.write carries it out.
//
// Records to be created have ID 0 until written; plans refer to them by
// pointer, and write fills in the ids in reference order.
type plan struct {
	rec *record

	errs      issues // the record cannot be imported
	warns     issues // stored values kept over the record's
	conflicts issues // stored values the record would change

	newOrgs     []newOrg
	orgLinks    []orgLink
	newSpeakers map[string]*domain.Speaker // planned new organizations, by key

	speaker      *domain.Speaker
	speakerWrite bool

	topicOf []*topicPlan // parallel to rec.topics
	topics  []*topicPlan // write order: parents first
	sources []*sourcePlan

	match     *domain.Statement // the stored statement the record updates
	stmt      *domain.Statement // the statement as the record has it
	stmtWrite bool

	positions []*positionPlan
	unlink    []*domain.Position // positions to stop citing the statement
}

// newOrg is an organization to create for the role at index role.
type newOrg struct {
	speaker *domain.Speaker
	role    int
}

// orgLink says that the speaker's role at index role is held in org,
// which is created by the same plan and has no id yet.
type orgLink struct {
	role int
	org  *domain.Speaker
}

type topicPlan struct {
	index int // in the record's topics
	topic *domain.Topic
	// parent, when set, is a topic of the same record whose id becomes
	// topic's ParentID once it is written.
	parent *topicPlan
	write  bool
}

type sourcePlan struct {
	index  int
	source *domain.Source
	write  bool
}

type positionPlan struct {
	index int
	pos   *domain.Position
	topic *domain.Topic
	write bool
}

// plan fills p for its record. Problems with the record go into p; the
// error is for failures that are no record's fault.
func (b *batch) plan(p *plan) error {
	if err := b.planSpeaker(p); err != nil {
		return err
	}
	if err := b.planTopics(p); err != nil {
		return err
	}
	if err := b.planSources(p); err != nil {
		return err
	}
	if len(p.errs) > 0 {
		return nil
	}
	if err := b.planStatement(p); err != nil {
		return err
	}
	if len(p.errs) > 0 {
		return nil
	}
	return b.planPositions(p)
}

// planSpeaker resolves the record's speaker: the stored one with empty
// fields filled from the reference, or a new one made from it.
func (b *batch) planSpeaker(p *plan) error {
	ref := &p.rec.speaker
	cur, err := b.speaker(ref.Key)
	if err != nil {
		return err
	}
	if cur == nil {
		if ref.Name == "" {
			p.errs.addf(domain.CodeBadUserInput, path("speaker", "name"), "is required: speaker %q does not exist yet and is created from this reference", ref.Key)
		}
		if ref.Kind == "" {
			p.errs.addf(domain.CodeBadUserInput, path("speaker", "kind"), "is required: speaker %q does not exist yet and is created from this reference; use PERSON, ORGANIZATION or COUNTRY", ref.Key)
		}
		p.speaker = cloneSpeaker(&ref.Speaker)
		p.speaker.Roles = nil // added below, with their organizations
		p.speakerWrite = true
	} else {
		p.speaker = cloneSpeaker(cur)
		p.speakerWrite = fillSpeaker(p, ref)
	}

	for i, role := range ref.Roles {
		var org *domain.Speaker
		if key := ref.orgs[i].Key; key != "" {
			if org, err = b.planOrg(p, i, ref.orgs[i]); err != nil {
				return err
			}
			if org == nil {
				continue // reported
			}
			role.OrgID = org.ID
		}
		// An organization without an id yet is created by this plan: the
		// role is new, and gets the id once the organization is written.
		pending := org != nil && org.ID == 0
		if mergeRole(p, i, role, cur == nil || pending) {
			p.speakerWrite = true
			if pending {
				p.orgLinks = append(p.orgLinks, orgLink{role: len(p.speaker.Roles) - 1, org: org})
			}
		}
	}
	return nil
}

// planOrg resolves the organization of role i: stored, planned earlier in
// the record, or new. It returns nil when the role cannot name it.
func (b *batch) planOrg(p *plan, i int, ref orgRef) (*domain.Speaker, error) {
	if ref.Key == p.speaker.Key {
		return p.speaker, nil // an organization's role in itself
	}
	if org, ok := p.newSpeakers[ref.Key]; ok {
		return org, nil
	}
	cur, err := b.speaker(ref.Key)
	if err != nil {
		return nil, err
	}
	if cur != nil {
		if ref.Name != "" && ref.Name != cur.Name {
			p.warns.addf(domain.CodeConflict, path("speaker", "roles", i, "orgName"), "speaker %q is named %s; kept it and ignored %s", cur.Key, quote(cur.Name), quote(ref.Name))
		}
		if ref.kindGiven && ref.Kind != cur.Kind {
			p.warns.addf(domain.CodeConflict, path("speaker", "roles", i, "orgKind"), "speaker %q has kind %s; kept it and ignored %s", cur.Key, cur.Kind, ref.Kind)
		}
		return cur, nil
	}
	if ref.Name == "" {
		p.errs.addf(domain.CodeBadUserInput, path("speaker", "roles", i, "orgName"), "is required: organization %q does not exist yet and is created from this role", ref.Key)
		return nil, nil
	}
	org := &domain.Speaker{Key: ref.Key, Name: ref.Name, Kind: ref.Kind}
	p.newOrgs = append(p.newOrgs, newOrg{speaker: org, role: i})
	p.newSpeakers[ref.Key] = org
	return org, nil
}

// fillSpeaker fills p.speaker's empty fields from ref, warns about the
// values it keeps over ref's, and reports whether it changed anything.
// Aliases are a set: the reference's missing ones are added.
func fillSpeaker(p *plan, ref *speakerRef) bool {
	sp := p.speaker
	changed := false
	fill := func(field string, stored *string, given string) {
		switch {
		case given == "" || given == *stored:
		case *stored == "":
			*stored = given
			changed = true
		default:
			p.warns.addf(domain.CodeConflict, path("speaker", field), "speaker %q has %s %s; kept it and ignored %s", sp.Key, field, quote(*stored), quote(given))
		}
	}
	fill("name", &sp.Name, ref.Name)
	kind := string(sp.Kind)
	fill("kind", &kind, string(ref.Kind))
	sp.Kind = domain.SpeakerKind(kind)
	fill("country", &sp.Country, ref.Country)
	fill("description", &sp.Description, ref.Description)
	fill("wikidataId", &sp.WikidataID, ref.WikidataID)
	for _, a := range ref.Aliases {
		if !slices.Contains(sp.Aliases, a) {
			sp.Aliases = append(sp.Aliases, a)
			changed = true
		}
	}
	return changed
}

// mergeRole adds role i of the reference to p.speaker unless it has it,
// and reports whether it changed the speaker. A stored role with the same
// title and organization is the same role: its unknown dates are filled
// in, and conflicting ones kept. add skips the search: the speaker is new,
// or the organization is, so no stored role can match.
func mergeRole(p *plan, i int, role domain.Role, add bool) bool {
	sp := p.speaker
	if !add {
		same := -1
		for k, r := range sp.Roles {
			if r == role {
				return false
			}
			if r.Title == role.Title && r.OrgID == role.OrgID {
				if same >= 0 { // ambiguous: held more than once
					same = -1
					break
				}
				same = k
			}
		}
		if same >= 0 {
			r := &sp.Roles[same]
			from := fillDate(p, path("speaker", "roles", i, "from"), &r.From, role.From)
			to := fillDate(p, path("speaker", "roles", i, "to"), &r.To, role.To)
			return from || to
		}
	}
	sp.Roles = append(sp.Roles, role)
	return true
}

func fillDate(p *plan, at []string, stored *domain.PartialDate, given domain.PartialDate) bool {
	switch {
	case given.IsZero() || given == *stored:
		return false
	case stored.IsZero():
		*stored = given
		return true
	}
	p.warns.addf(domain.CodeConflict, at, "speaker %q has this role %s %s; kept it and ignored %s", p.speaker.Key, at[len(at)-1], stored, given)
	return false
}

// planTopics resolves the record's topics, each after its parent when the
// parent is in the record too.
func (b *batch) planTopics(p *plan) error {
	p.topicOf = make([]*topicPlan, len(p.rec.topics))
	state := make([]visit, len(p.rec.topics))
	for j := range p.rec.topics {
		if state[j] == unvisited {
			if err := b.planTopic(p, j, state); err != nil {
				return err
			}
		}
	}
	return nil
}

// visit is a topic's state in the depth-first walk that plans parents
// before their subtopics; meeting a topic that is being visited is a cycle.
type visit uint8

const (
	unvisited visit = iota
	visiting
	visited
)

// planTopic resolves topic j of the record, after its parent: the parent
// must be in the record or stored. A stored topic gets its empty fields,
// parent included, filled from the reference.
func (b *batch) planTopic(p *plan, j int, state []visit) error {
	state[j] = visiting
	defer func() { state[j] = visited }()
	ref := &p.rec.topics[j]

	var parent *topicPlan
	var parentID domain.ID
	if ref.parent != "" {
		if k, ok := p.rec.topicIdx[ref.parent]; ok {
			switch state[k] {
			case visiting:
				p.errs.addf(domain.CodeBadUserInput, path("topics", j, "parent"), "makes a cycle: topic %q is also an ancestor of %q in this record", ref.Key, ref.parent)
				return nil
			case unvisited:
				if err := b.planTopic(p, k, state); err != nil {
					return err
				}
			}
			if parent = p.topicOf[k]; parent == nil {
				return nil // the parent failed
			}
		} else {
			pt, err := b.topic(ref.parent)
			if err != nil {
				return err
			}
			if pt == nil {
				p.errs.addf(domain.CodeBadUserInput, path("topics", j, "parent"), "topic %q does not exist: list it in this record's topics, or import it with an earlier record", ref.parent)
				return nil
			}
			parentID = pt.ID
		}
	}

	cur, err := b.topic(ref.Key)
	if err != nil {
		return err
	}
	tp := &topicPlan{index: j}
	if cur == nil {
		if ref.Name == "" {
			p.errs.addf(domain.CodeBadUserInput, path("topics", j, "name"), "is required: topic %q does not exist yet and is created from this reference", ref.Key)
			return nil
		}
		t := ref.Topic
		t.ParentID = parentID
		tp.topic, tp.parent, tp.write = &t, parent, true
	} else {
		t := *cur
		tp.topic = &t
		switch {
		case ref.Name == "" || ref.Name == t.Name:
		default:
			p.warns.addf(domain.CodeConflict, path("topics", j, "name"), "topic %q is named %s; kept it and ignored %s", t.Key, quote(t.Name), quote(ref.Name))
		}
		switch {
		case ref.Description == "" || ref.Description == t.Description:
		case t.Description == "":
			t.Description = ref.Description
			tp.write = true
		default:
			p.warns.addf(domain.CodeConflict, path("topics", j, "description"), "topic %q has description %s; kept it and ignored %s", t.Key, quote(t.Description), quote(ref.Description))
		}
		want := parentID
		if parent != nil {
			want = parent.topic.ID // 0 while the parent is only planned
		}
		switch {
		case ref.parent == "" || want != 0 && want == t.ParentID:
		case t.ParentID == 0:
			t.ParentID, tp.parent, tp.write = want, parent, true
		default:
			stored, err := b.tx.Topic(t.ParentID)
			if err != nil {
				return err
			}
			p.warns.addf(domain.CodeConflict, path("topics", j, "parent"), "topic %q has parent %q; kept it and ignored %q", t.Key, stored.Key, ref.parent)
		}
	}
	p.topicOf[j] = tp
	p.topics = append(p.topics, tp)
	return nil
}

// planSources resolves the record's sources by URL.
func (b *batch) planSources(p *plan) error {
	for j := range p.rec.sources {
		ref := &p.rec.sources[j]
		cur, err := b.source(ref.URL)
		if err != nil {
			return err
		}
		sp := &sourcePlan{index: j}
		p.sources = append(p.sources, sp)
		if cur == nil {
			s := *ref
			sp.source, sp.write = &s, true
			continue
		}
		s := *cur
		sp.source = &s
		fill := func(field string, stored *string, given string) {
			switch {
			case given == "" || given == *stored:
			case *stored == "":
				*stored = given
				sp.write = true
			default:
				p.warns.addf(domain.CodeConflict, path("sources", j, field), "source %s has %s %s; kept it and ignored %s", s.URL, field, quote(*stored), quote(given))
			}
		}
		fill("title", &s.Title, ref.Title)
		fill("publisher", &s.Publisher, ref.Publisher)
		switch {
		case ref.PublishedAt.IsZero() || ref.PublishedAt.Equal(s.PublishedAt):
		case s.PublishedAt.IsZero():
			s.PublishedAt = ref.PublishedAt
			sp.write = true
		default:
			p.warns.addf(domain.CodeConflict, path("sources", j, "publishedAt"), "source %s was published at %s; kept it and ignored %s",
				s.URL, s.PublishedAt.Format(time.RFC3339Nano), ref.PublishedAt.Format(time.RFC3339Nano))
		}
	}
	return nil
}

// planStatement finds the stored statement the record matches, if any,
// and compares the record with it.
func (b *batch) planStatement(p *plan) error {
	st := p.rec.stmt
	p.stmt = &st
	complete := p.resolveStatementRefs() // false: a reference is still to be created

	var match *domain.Statement
	if st.ExternalID != "" {
		m, err := orMissing(b.tx.StatementByExternalID(st.ExternalID))
		if err != nil {
			return err
		}
		match = m
	}
	// A new speaker has no statements: the natural key can only match, or
	// collide with, a stored speaker's.
	if p.speaker.ID != 0 && (match == nil || !sameNaturalFields(match, &st)) {
		other, err := orMissing(b.tx.StatementByNaturalKey(&st))
		if err != nil {
			return err
		}
		switch {
		case other == nil || match != nil && other.ID == match.ID:
		case match != nil:
			p.errs.addf(domain.CodeConflict, path("text"), "statement %d already has this speaker, text and saidOn; two statements cannot share them", other.ID)
			return nil
		case st.ExternalID != "" && other.ExternalID != "":
			p.errs.addf(domain.CodeConflict, path("externalId"), "statement %d has the same speaker, text and saidOn under externalId %q; use that externalId, or change the text or date", other.ID, other.ExternalID)
			return nil
		default:
			match = other
		}
	}
	if match == nil {
		p.stmtWrite = true
		return nil
	}
	p.match = match
	st.ID = match.ID
	if st.ExternalID == "" {
		st.ExternalID = match.ExternalID
	}
	diffs, fills, err := b.diffStatement(match, &st, complete)
	if err != nil {
		return err
	}
	if i, ok := b.statementBy[match.ID]; ok && (len(diffs) > 0 || fills) {
		p.errs.addf(domain.CodeConflict, path("text"), "the record at index %d of this batch is the same statement %d (same speaker, saidOn and text up to case and punctuation) with other values; one batch cannot give a statement two versions: merge the two records", i, match.ID)
		for _, d := range diffs {
			p.errs.addf(domain.CodeConflict, d.Path, "%s", d.Message)
		}
		return nil
	}
	p.conflicts = append(p.conflicts, diffs...)
	p.stmtWrite = len(diffs) > 0 || fills
	return nil
}

// resolveStatementRefs sets the statement's speaker, topic and source ids
// from the plan and reports whether all are known: records created by the
// plan have none until written.
func (p *plan) resolveStatementRefs() bool {
	st := p.stmt
	complete := p.speaker.ID != 0
	st.SpeakerID = p.speaker.ID
	st.TopicIDs = st.TopicIDs[:0]
	for _, tp := range p.topicOf {
		complete = complete && tp.topic.ID != 0
		st.TopicIDs = append(st.TopicIDs, tp.topic.ID)
	}
	st.SourceIDs = st.SourceIDs[:0]
	for _, sp := range p.sources {
		complete = complete && sp.source.ID != 0
		st.SourceIDs = append(st.SourceIDs, sp.source.ID)
	}
	st.TopicIDs = sortedIDs(st.TopicIDs)
	st.SourceIDs = sortedIDs(st.SourceIDs)
	return complete
}

// sameNaturalFields reports whether a and b have the same natural key
// without computing it: same speaker, text and date.
func sameNaturalFields(a, b *domain.Statement) bool {
	return a.SpeakerID == b.SpeakerID && a.SaidOn == b.SaidOn && a.Text == b.Text
}

// diffStatement lists, as CONFLICT issues, the fields in which the record's
// statement st differs from the stored one. refsKnown is false when st
// refers to records still to be created, which the stored statement cannot
// refer to.
func (b *batch) diffStatement(stored, st *domain.Statement, refsKnown bool) (d issues, fills bool, err error) {
	differ := func(field, have, want string) {
		switch {
		case have == want:
		case have == "":
			fills = true // filling an empty field is no conflict
		default:
			d.addf(domain.CodeConflict, path(field), "statement %d has %s %s; this record gives %s", stored.ID, field, quote(have), quote(want))
		}
	}
	differ("externalId", stored.ExternalID, st.ExternalID)
	differ("text", stored.Text, st.Text)
	differ("kind", string(stored.Kind), string(st.Kind))
	if stored.SpeakerID != st.SpeakerID {
		sp, err := b.tx.Speaker(stored.SpeakerID)
		if err != nil {
			return nil, false, err
		}
		d.addf(domain.CodeConflict, path("speaker", "key"), "statement %d is by speaker %q; this record names another speaker", stored.ID, sp.Key)
	}
	differ("saidOn", stored.SaidOn.String(), st.SaidOn.String())
	differ("dateText", stored.DateText, st.DateText)
	differ("location", stored.Location, st.Location)
	differ("context", stored.Context, st.Context)
	differ("language", stored.Language, st.Language)
	if !refsKnown || !slices.Equal(stored.TopicIDs, st.TopicIDs) {
		d.addf(domain.CodeConflict, path("topics"), "statement %d has other topics than this record lists", stored.ID)
	}
	if !refsKnown || !slices.Equal(stored.SourceIDs, st.SourceIDs) {
		d.addf(domain.CodeConflict, path("sources"), "statement %d has other sources than this record lists", stored.ID)
	}
	return d, fills, nil
}

// planPositions resolves the record's positions, and the positions of the
// speaker that cite the stored statement but that the record no longer
// lists.
func (b *batch) planPositions(p *plan) error {
	listed := make(map[domain.ID]bool, len(p.rec.positions))
	for i, ref := range p.rec.positions {
		var topic *domain.Topic
		if j, ok := p.rec.topicIdx[ref.topic]; ok {
			topic = p.topicOf[j].topic
		} else {
			t, err := b.topic(ref.topic)
			if err != nil {
				return err
			}
			if t == nil {
				p.errs.addf(domain.CodeBadUserInput, path("positions", i, "topic"), "topic %q does not exist: list it in this record's topics", ref.topic)
				continue
			}
			topic = t
		}
		var cur *domain.Position
		if p.speaker.ID != 0 && topic.ID != 0 {
			c, err := orMissing(b.tx.PositionAt(p.speaker.ID, topic.ID, ref.asOf))
			if err != nil {
				return err
			}
			cur = c
		}
		pp := &positionPlan{index: i, topic: topic}
		p.positions = append(p.positions, pp)
		if cur == nil {
			pp.pos = &domain.Position{Stance: ref.stance, Summary: ref.summary, AsOf: ref.asOf}
			pp.write = true
			continue
		}
		listed[cur.ID] = true
		pos := *cur
		pos.EvidenceIDs = slices.Clone(cur.EvidenceIDs)
		pp.pos = &pos
		what := fmt.Sprintf("position %d of speaker %q on topic %q as of %s", cur.ID, p.speaker.Key, topic.Key, cur.AsOf)
		var later *domain.Statement
		if ref.stance != cur.Stance || ref.summary != "" && ref.summary != cur.Summary {
			var err error
			if later, err = b.laterEvidence(cur, p.stmt); err != nil {
				return err
			}
		}
		switch {
		case later != nil:
			p.warns.addf(domain.CodeConflict, path("positions", i, "stance"), "%s is %s%s as statement %d, said %s, shows it, later than this record's; this record's %s%s is kept out: a position is what its latest evidence says",
				what, cur.Stance, summaryNote(cur.Summary), later.ID, later.SaidOn, ref.stance, summaryNote(ref.summary))
		case ref.stance != cur.Stance:
			p.conflicts.addf(domain.CodeConflict, path("positions", i, "stance"), "%s has stance %s; this record gives %s", what, cur.Stance, ref.stance)
			pos.Stance, pp.write = ref.stance, true
		}
		if later == nil && ref.summary != "" && ref.summary != cur.Summary {
			p.conflicts.addf(domain.CodeConflict, path("positions", i, "summary"), "%s has summary %s; this record gives %s", what, quote(cur.Summary), quote(ref.summary))
			pos.Summary, pp.write = ref.summary, true
		}
		if p.match == nil || !slices.Contains(cur.EvidenceIDs, p.match.ID) {
			pp.write = true // gains the statement as evidence
		}
	}
	if p.match == nil || len(p.errs) > 0 {
		return nil
	}

	citing, err := b.tx.PositionsCiting(p.match.ID)
	if err != nil {
		return err
	}
	for _, c := range citing {
		// Positions of other speakers are not the record's to describe.
		if listed[c.ID] || c.SpeakerID != p.match.SpeakerID && c.SpeakerID != p.speaker.ID {
			continue
		}
		t, err := b.tx.Topic(c.TopicID)
		if err != nil {
			return err
		}
		p.conflicts.addf(domain.CodeConflict, path("positions"), "statement %d is evidence of the position on topic %q as of %s (position %d), which this record does not list", p.match.ID, t.Key, c.AsOf, c.ID)
		pos := *c
		pos.EvidenceIDs = slices.DeleteFunc(slices.Clone(c.EvidenceIDs), func(id domain.ID) bool { return id == p.match.ID })
		p.unlink = append(p.unlink, &pos)
	}
	return nil
}

// laterEvidence returns a statement of the position's speaker among its
// evidence said after st (by saidOn, then id; a statement still to be
// created is the newest of its date), or nil. A record changes a position
// only when its statement is the latest evidence: when several statements
// in a file show one position (one speaker, topic and asOf) differently,
// the last said wins whatever their order in the file, and importing the
// file again changes nothing.
func (b *batch) laterEvidence(pos *domain.Position, st *domain.Statement) (*domain.Statement, error) {
	for _, id := range pos.EvidenceIDs {
		if id == st.ID {
			continue
		}
		ev, err := orMissing(b.tx.Statement(id))
		if err != nil {
			return nil, err
		}
		if ev == nil || ev.SpeakerID != pos.SpeakerID {
			// Another speaker's statement cited through the API is no
			// part of the file's story of this speaker (Export leaves
			// such positions out).
			continue
		}
		c := ev.SaidOn.Compare(st.SaidOn)
		if c > 0 || c == 0 && st.ID != 0 && ev.ID > st.ID {
			return ev, nil
		}
	}
	return nil, nil
}

// summaryNote names a position's summary in a message, if it has one.
func summaryNote(summary string) string {
	if summary == "" {
		return ""
	}
	return " (summary " + quote(summary) + ")"
}

func cloneSpeaker(s *domain.Speaker) *domain.Speaker {
	c := *s
	c.Aliases = slices.Clone(s.Aliases)
	c.Roles = slices.Clone(s.Roles)
	return &c
}

// sortedIDs sorts ids and drops duplicates, as the domain stores id lists.
func sortedIDs(ids []domain.ID) []domain.ID {
	slices.Sort(ids)
	return slices.Compact(ids)
}

// addID adds id to the sorted list ids unless it is there.
func addID(ids []domain.ID, id domain.ID) []domain.ID {
	i, found := slices.BinarySearch(ids, id)
	if found {
		return ids
	}
	return slices.Insert(ids, i, id)
}

// quote quotes s for a message, shortened: a message names a value, it
// does not repeat a 100 kB text.
func quote(s string) string {
	const max = 80
	if len(s) <= max {
		return strconv.Quote(s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

func itoa(i int) string { return strconv.Itoa(i) }
