package importer

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"parley/domain"
)

// defaultLanguage is the language of a record that gives none.
var defaultLanguage, _ = domain.NormalizeLanguage("")

// exportPage is the number of statements Export reads at a time, with one
// batched read per kind of record they refer to.
const exportPage = 500

// Export writes every statement of s to w in id order, one line of the
// import format (domain.StatementImport as compact JSON) each, as the
// package documentation describes. The same database always gives the
// same bytes.
func Export(ctx context.Context, s domain.Store, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	e := &exporter{s: s, defined: make(map[domain.ID]bool), orphans: make(map[domain.ID]orphan)}
	var after domain.ID
	for {
		page, err := s.ScanStatements(ctx, after, exportPage)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		recs, err := e.records(ctx, page)
		if err != nil {
			return err
		}
		for i := range recs {
			// json.Marshal is the format's canonical form: the sample file
			// and clients produce lines with it.
			line, err := json.Marshal(&recs[i])
			if err != nil {
				return err
			}
			if _, err := bw.Write(append(line, '\n')); err != nil {
				return err
			}
		}
		after = page[len(page)-1].ID
	}
	if err := e.orphanError(); err != nil {
		return err
	}
	return bw.Flush()
}

// exporter carries what Export must remember between pages: which topics
// earlier lines define, since the import format can refer to a topic that
// a line does not list only when an earlier line did.
type exporter struct {
	s       domain.Store
	defined map[domain.ID]bool
	// orphans are the topics written without their parent, which no line
	// had defined yet, and not written with it since.
	orphans map[domain.ID]orphan
}

// orphan is a topic exported without its parent: the line that first
// listed it came before any line that lists the parent. A later line that
// lists the topic once the parent is defined names the parent, and an
// import fills it in then, as it fills any empty field.
type orphan struct {
	statement   domain.ID // the first line that omitted the parent
	key, parent string
}

// orphanError reports a topic whose parent no line could name: exporting
// it would lose the parent.
func (e *exporter) orphanError() error {
	var first *orphan
	for _, o := range e.orphans {
		if first == nil || o.statement < first.statement || (o.statement == first.statement && o.key < first.key) {
			first = &o
		}
	}
	if first == nil {
		return nil
	}
	return fmt.Errorf("export: topic %q has parent %q, but no statement lists %q after one that lists %q, and the import format can define a topic's parent only on a line that lists the topic; list %q on statement %d or an earlier one",
		first.key, first.parent, first.key, first.parent, first.parent, first.statement)
}

// records turns one page of statements into import records, reading the
// records they refer to in one batch per kind.
func (e *exporter) records(ctx context.Context, page []*domain.Statement) ([]domain.StatementImport, error) {
	ids := make([]domain.ID, len(page))
	var speakerIDs, topicIDs, sourceIDs []domain.ID
	for i, st := range page {
		ids[i] = st.ID
		speakerIDs = append(speakerIDs, st.SpeakerID)
		topicIDs = append(topicIDs, st.TopicIDs...)
		sourceIDs = append(sourceIDs, st.SourceIDs...)
	}
	citing, err := e.s.PositionsCiting(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i, ps := range citing {
		// The format gives a position the statement's speaker: positions
		// of other speakers citing it cannot be written (see the package
		// documentation).
		citing[i] = slices.DeleteFunc(ps, func(p *domain.Position) bool { return p.SpeakerID != page[i].SpeakerID })
		for _, p := range citing[i] {
			topicIDs = append(topicIDs, p.TopicID)
		}
	}

	speakers, err := load(ctx, e.s.SpeakersByID, "speaker", speakerIDs, nil)
	if err != nil {
		return nil, err
	}
	var orgIDs []domain.ID
	for _, sp := range speakers {
		for _, r := range sp.Roles {
			if r.OrgID != 0 {
				orgIDs = append(orgIDs, r.OrgID)
			}
		}
	}
	if speakers, err = load(ctx, e.s.SpeakersByID, "speaker", orgIDs, speakers); err != nil {
		return nil, err
	}
	topics, err := load(ctx, e.s.TopicsByID, "topic", topicIDs, nil)
	if err != nil {
		return nil, err
	}
	// A topic line names its parent by key.
	var parentIDs []domain.ID
	for _, t := range topics {
		if t.ParentID != 0 {
			parentIDs = append(parentIDs, t.ParentID)
		}
	}
	if topics, err = load(ctx, e.s.TopicsByID, "topic", parentIDs, topics); err != nil {
		return nil, err
	}
	sources, err := load(ctx, e.s.SourcesByID, "source", sourceIDs, nil)
	if err != nil {
		return nil, err
	}

	refs := make(map[domain.ID]domain.SpeakerRef)
	out := make([]domain.StatementImport, len(page))
	for i, st := range page {
		ref, ok := refs[st.SpeakerID]
		if !ok {
			ref = exportSpeaker(speakers[st.SpeakerID], speakers)
			refs[st.SpeakerID] = ref
		}
		rec := domain.StatementImport{
			ExternalID: st.ExternalID,
			Text:       st.Text,
			Kind:       st.Kind,
			Speaker:    ref,
			SaidOn:     st.SaidOn.String(),
			DateText:   st.DateText,
			Location:   st.Location,
			Context:    st.Context,
		}
		if st.Language != defaultLanguage {
			rec.Language = st.Language // "" means the default
		}
		if rec.Topics, err = e.topicRefs(st, topics); err != nil {
			return nil, err
		}
		for _, id := range st.SourceIDs {
			rec.Sources = append(rec.Sources, exportSource(sources[id]))
		}
		slices.SortFunc(rec.Sources, func(a, b domain.SourceRef) int { return cmp.Compare(a.URL, b.URL) })
		if rec.Positions, err = e.positionRefs(st, citing[i], topics); err != nil {
			return nil, err
		}
		out[i] = rec
	}
	return out, nil
}

// load reads the records with the given ids that into does not hold yet,
// with one batched read, and returns into with them added. A missing
// record is an error: the store keeps no dangling references.
func load[T any](ctx context.Context, byID func(context.Context, []domain.ID) ([]*T, error), typ string, ids []domain.ID, into map[domain.ID]*T) (map[domain.ID]*T, error) {
	if into == nil {
		into = make(map[domain.ID]*T, len(ids))
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	ids = slices.DeleteFunc(ids, func(id domain.ID) bool { return into[id] != nil })
	if len(ids) == 0 {
		return into, nil
	}
	got, err := byID(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i, v := range got {
		if v == nil {
			return nil, fmt.Errorf("export: %s %d is referred to but does not exist", typ, ids[i])
		}
		into[ids[i]] = v
	}
	return into, nil
}

// exportSpeaker is the full reference to sp: every field, and each role's
// organization by key, name and kind.
func exportSpeaker(sp *domain.Speaker, speakers map[domain.ID]*domain.Speaker) domain.SpeakerRef {
	ref := domain.SpeakerRef{
		Key:         sp.Key,
		Name:        sp.Name,
		Kind:        sp.Kind,
		Country:     sp.Country,
		Description: sp.Description,
		WikidataID:  sp.WikidataID,
		Aliases:     sp.Aliases,
	}
	for _, r := range sp.Roles {
		rr := domain.RoleRef{Title: r.Title, From: r.From.String(), To: r.To.String()}
		if org := speakers[r.OrgID]; org != nil {
			rr.Org, rr.OrgName, rr.OrgKind = org.Key, org.Name, org.Kind
		}
		ref.Roles = append(ref.Roles, rr)
	}
	return ref
}

// topicRefs lists the statement's topics, parents before their subtopics
// and otherwise by key. A topic's parent is named when it is importable,
// listed on this line or an earlier one; otherwise the topic is an orphan
// until a later line can name it.
func (e *exporter) topicRefs(st *domain.Statement, topics map[domain.ID]*domain.Topic) ([]domain.TopicRef, error) {
	if len(st.TopicIDs) == 0 {
		return nil, nil
	}
	byKey := make([]*domain.Topic, len(st.TopicIDs))
	for i, id := range st.TopicIDs {
		byKey[i] = topics[id]
	}
	slices.SortFunc(byKey, func(a, b *domain.Topic) int { return cmp.Compare(a.Key, b.Key) })

	on := func(id domain.ID) bool { return slices.Contains(st.TopicIDs, id) }
	refs := make([]domain.TopicRef, 0, len(byKey))
	done := make(map[domain.ID]bool, len(byKey))
	var add func(t *domain.Topic)
	add = func(t *domain.Topic) {
		if done[t.ID] {
			return
		}
		done[t.ID] = true
		ref := domain.TopicRef{Key: t.Key, Name: t.Name, Description: t.Description}
		if t.ParentID != 0 {
			parent := topics[t.ParentID]
			switch {
			case on(parent.ID):
				add(parent)
				fallthrough
			case e.defined[parent.ID]:
				ref.Parent = parent.Key
				delete(e.orphans, t.ID)
			default:
				if _, ok := e.orphans[t.ID]; !ok {
					e.orphans[t.ID] = orphan{statement: st.ID, key: t.Key, parent: parent.Key}
				}
			}
		}
		refs = append(refs, ref)
	}
	for _, t := range byKey {
		add(t)
	}
	for _, id := range st.TopicIDs {
		e.defined[id] = true
	}
	return refs, nil
}

// positionRefs lists the positions citing the statement by topic key and
// asOf, omitting asOf when it is the statement's date, the default.
func (e *exporter) positionRefs(st *domain.Statement, ps []*domain.Position, topics map[domain.ID]*domain.Topic) ([]domain.PositionRef, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	ps = slices.Clone(ps)
	slices.SortFunc(ps, func(a, b *domain.Position) int {
		return cmp.Or(
			cmp.Compare(topics[a.TopicID].Key, topics[b.TopicID].Key),
			a.AsOf.Compare(b.AsOf),
			cmp.Compare(a.AsOf.String(), b.AsOf.String()),
		)
	})
	refs := make([]domain.PositionRef, len(ps))
	for i, p := range ps {
		t := topics[p.TopicID]
		if !e.defined[t.ID] {
			return nil, fmt.Errorf("export: statement %d: its position %d is on topic %q, which neither it nor an earlier statement lists, and the import format can define a topic only by listing it; list %q on statement %d or an earlier one",
				st.ID, p.ID, t.Key, t.Key, st.ID)
		}
		refs[i] = domain.PositionRef{Topic: t.Key, Stance: p.Stance, Summary: p.Summary}
		if asOf := p.AsOf.String(); asOf != st.SaidOn.String() {
			refs[i].AsOf = asOf
		}
	}
	return refs, nil
}

func exportSource(s *domain.Source) domain.SourceRef {
	ref := domain.SourceRef{URL: s.URL, Title: s.Title, Publisher: s.Publisher}
	if !s.PublishedAt.IsZero() {
		ref.PublishedAt = s.PublishedAt.UTC().Format(time.RFC3339Nano)
	}
	return ref
}
