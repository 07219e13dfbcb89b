package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"parley/domain"
)

// txn is one bbolt transaction seen in the domain's terms. It implements
// domain.Tx; the Store's methods are thin wrappers that open a txn.
type txn struct {
	tx  *bolt.Tx
	now time.Time
	// opened keeps the buckets a read transaction has opened (see b).
	opened     [6]openedBucket
	nextOpened int
	// changes lists the records written, for the store's subscribers.
	changes []domain.Change
	// pending holds the statement index changes (runs.go) not yet in
	// their buckets, by bucket name. A batch of statements changes tens of
	// thousands of entries over a few thousand prefixes; applying them at
	// flush, sorted, updates each prefix's runs once. Reads of those
	// buckets inside a write transaction call applyPending first.
	pending map[string]staged
	// natDirs caches the directories of the natural-key indexes
	// (natkeys.go) until applyPending changes them.
	natDirs map[string][]runInfo
	// err is a failure that must abort the transaction at flush.
	err error
	// natf are the Store's natural-key filters in its write transactions
	// (natfilter.go); nil elsewhere.
	natf *natFilters

	// ov is the overlay of the deferred indexes (overlay.go) this read
	// transaction sees. A write transaction of the Store folds its
	// changes into ovw's copy instead and appends them to log, the values
	// of its index log records by slice. A transaction with neither (a
	// migration's) writes every index directly.
	ov  *overlay
	ovw *overlayWriter
	log [logSlices][]byte

	// recs is the statement record cache when this read transaction may
	// use it, for write generation gen of refs (reccache.go).
	recs *recCache
	refs *refGen
	gen  uint64
	// dirty lists the statements whose records a write transaction put
	// or deleted, for the record cache to drop.
	dirty []domain.ID
}

func (t *txn) changed(typ domain.RecordType, id domain.ID, op domain.ChangeOp) {
	t.changes = append(t.changes, domain.Change{Type: typ, ID: id, Op: op})
}

// opFor is Created for a record without a stored predecessor.
func opFor(isNew bool) domain.ChangeOp {
	if isNew {
		return domain.Created
	}
	return domain.Updated
}

var _ domain.Tx = (*txn)(nil)

func (t *txn) b(name []byte) *bolt.Bucket {
	if t.tx.Writable() {
		return t.tx.Bucket(name) // bbolt keeps a write transaction's buckets
	}
	// A read transaction's Bucket seeks the root each time; a page of
	// statements asks for the same few buckets hundreds of times.
	for i := range t.opened {
		if e := &t.opened[i]; e.b != nil && bytes.Equal(e.name, name) {
			return e.b
		}
	}
	b := t.tx.Bucket(name)
	if b != nil {
		t.opened[t.nextOpened%len(t.opened)] = openedBucket{name, b}
		t.nextOpened++
	}
	return b
}

// openedBucket is a bucket a read transaction has opened.
type openedBucket struct {
	name []byte
	b    *bolt.Bucket
}

// copyBytes copies a value out of the transaction: bbolt's slices are only
// valid until it ends.
func copyBytes(b []byte) []byte { return append([]byte(nil), b...) }

// ---- index entries ----

// flush writes the staged index entries; update calls it before commit.
func (t *txn) flush() error {
	if t.err != nil {
		return t.err
	}
	if err := t.applyPending(); err != nil {
		return err
	}
	if t.ovw == nil {
		return nil
	}
	txid := uint64(t.tx.ID())
	for slice, rec := range t.log {
		if len(rec) > 0 {
			if err := t.b(bIxLog).Put(logKey(slice, txid), rec); err != nil {
				return err
			}
		}
	}
	t.ovw.o.txid = txid
	return nil
}

// overlay is the overlay the transaction reads through.
func (t *txn) overlay() *overlay {
	if t.ovw != nil {
		return t.ovw.o
	}
	return t.ov
}

// runIters returns the iterators of prefix in a run bucket: one per run,
// skipping the entries the overlay removed, and one over the entries it
// added.
func (t *txn) runIters(bucket, prefix, lo, hi []byte) []*iter {
	t.settle()
	its := runIters(t.b(bucket), prefix, lo, hi)
	if i := deferredIndex(bucket); i >= 0 {
		if d := t.overlay().get(i, prefix); d != nil {
			if len(d.del) > 0 {
				for _, it := range its {
					it.skip = d.del
				}
			}
			for _, c := range d.ins {
				its = append(its, &iter{mem: c, lo: lo, hi: hi})
			}
		}
	}
	return its
}

// prefixCount is the number of entries under prefix in a run bucket, the
// transaction's own changes included.
func (t *txn) prefixCount(bucket, prefix []byte) int {
	t.settle()
	n := runEntries(t.b(bucket), prefix)
	if i := deferredIndex(bucket); i >= 0 {
		if d := t.overlay().get(i, prefix); d != nil {
			n += d.n - len(d.del)/sortKeyLen
		}
	}
	return n
}

// ixPut adds an index entry prefix · suffix. An index kept as runs only
// stages it, for flush.
func (t *txn) ixPut(bucket, prefix, suffix []byte) error {
	if isRunBucket(bucket) {
		t.stage(bucket, prefix, suffix, 1)
		return nil
	}
	return t.b(bucket).Put(cat(prefix, suffix), nil)
}

// ixDel removes an index entry prefix · suffix.
func (t *txn) ixDel(bucket, prefix, suffix []byte) error {
	if isRunBucket(bucket) {
		t.stage(bucket, prefix, suffix, -1)
		return nil
	}
	return t.b(bucket).Delete(cat(prefix, suffix))
}

// settle applies the staged statement index changes before a read of
// those buckets in a write transaction.
func (t *txn) settle() {
	if t.pending != nil && t.err == nil {
		// A failure here is kept and returned by flush, which aborts
		// the transaction, so the caller need not handle it.
		t.err = t.applyPending()
	}
}

// suffixes returns copies of the key suffixes under prefix, in key order.
func (t *txn) suffixes(bucket, prefix []byte) [][]byte {
	if isRunBucket(bucket) {
		m := &merged{its: t.runIters(bucket, prefix, nil, nil)}
		var out [][]byte
		for m.start(nil, true, false); m.key() != nil; m.next() {
			out = append(out, m.key()) // merged copies its keys
		}
		return out
	}
	var out [][]byte
	c := t.b(bucket).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		out = append(out, copyBytes(k[len(prefix):]))
	}
	return out
}

func (t *txn) nextID(bucket []byte) (domain.ID, error) {
	n, err := t.b(bucket).NextSequence()
	return domain.ID(n), err
}

func (t *txn) lookupID(bucket, key []byte) domain.ID {
	v := t.b(bucket).Get(key)
	if len(v) != idLen {
		return 0
	}
	return getID(v)
}

func conflict(format string, args ...any) error {
	return domain.Errorf(domain.CodeConflict, format, args...)
}

// stamp sets the timestamps of a record being written: CreatedAt stays
// what it was for an update.
func (t *txn) stamp(created, updated *time.Time, old time.Time) {
	if old.IsZero() {
		*created = t.now
	} else {
		*created = old
	}
	*updated = t.now
}

// record reads and decodes the record id of a bucket, NOT_FOUND when it
// is missing.
func record[T any](t *txn, bucket []byte, typ string, id domain.ID, decode func(domain.ID, []byte) (*T, error)) (*T, error) {
	v := t.b(bucket).Get(idKey(id))
	if v == nil {
		return nil, domain.ErrNotFound(typ, fmt.Sprintf("with id %d", id))
	}
	return decode(id, v)
}

// recordBy reads the record a unique index names, NOT_FOUND when the
// index has no entry for key.
func recordBy[T any](t *txn, index []byte, key, typ, what string, get func(domain.ID) (*T, error)) (*T, error) {
	id := t.lookupID(index, []byte(key))
	if id == 0 {
		return nil, domain.ErrNotFound(typ, what)
	}
	return get(id)
}

// ---- speakers ----

func (t *txn) Speaker(id domain.ID) (*domain.Speaker, error) {
	return record(t, bSpeakers, "speaker", id, decodeSpeaker)
}

func (t *txn) SpeakerByKey(key string) (*domain.Speaker, error) {
	return recordBy(t, bSpeakerKey, key, "speaker", fmt.Sprintf("%q", key), t.Speaker)
}

func (t *txn) PutSpeaker(s *domain.Speaker) error {
	if err := s.Normalize(); err != nil {
		return err
	}
	var old *domain.Speaker
	if s.ID != 0 {
		var err error
		if old, err = t.Speaker(s.ID); err != nil {
			return err
		}
	}
	if id := t.lookupID(bSpeakerKey, []byte(s.Key)); id != 0 && id != s.ID {
		return &domain.Error{Code: domain.CodeConflict, Path: []string{"key"}, Message: fmt.Sprintf("speaker key %q is taken", s.Key)}
	}
	if s.WikidataID != "" {
		if id := t.lookupID(bSpeakerWD, []byte(s.WikidataID)); id != 0 && id != s.ID {
			return &domain.Error{Code: domain.CodeConflict, Path: []string{"wikidataId"}, Message: fmt.Sprintf("wikidataId %s belongs to another speaker", s.WikidataID)}
		}
	}
	if s.ID == 0 {
		id, err := t.nextID(bSpeakers)
		if err != nil {
			return err
		}
		s.ID = id
	}
	for i, r := range s.Roles {
		if r.OrgID == 0 || r.OrgID == s.ID {
			continue
		}
		if t.b(bSpeakers).Get(idKey(r.OrgID)) == nil {
			return domain.FieldErrorf([]string{"roles", fmt.Sprint(i), "organization"}, "speaker %d does not exist", r.OrgID)
		}
	}
	var oldCreated time.Time
	if old != nil {
		oldCreated = old.CreatedAt
		if err := t.unindexSpeaker(old); err != nil {
			return err
		}
	}
	t.stamp(&s.CreatedAt, &s.UpdatedAt, oldCreated)
	v, err := encodeSpeaker(s)
	if err != nil {
		return err
	}
	if err := t.b(bSpeakers).Put(idKey(s.ID), v); err != nil {
		return err
	}
	if err := t.indexSpeaker(s); err != nil {
		return err
	}
	t.changed(domain.TypeSpeaker, s.ID, opFor(old == nil))
	// The country index of statements follows their speaker's country.
	if old != nil && old.Country != s.Country {
		for _, sk := range t.suffixes(bSxSpeaker, idKey(s.ID)) {
			if err := t.ixDel(bSxCountry, countryKey(old.Country), sk); err != nil {
				return err
			}
			if err := t.ixPut(bSxCountry, countryKey(s.Country), sk); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *txn) speakerIndexEntries(s *domain.Speaker) [][3][]byte {
	e := [][3][]byte{{bSpeakerKey, []byte(s.Key), idKey(s.ID)}}
	if s.WikidataID != "" {
		e = append(e, [3][]byte{bSpeakerWD, []byte(s.WikidataID), idKey(s.ID)})
	}
	for _, org := range roleOrgs(s) {
		e = append(e, [3][]byte{bSpeakerOrg, cat(idKey(org), idKey(s.ID)), nil})
	}
	return e
}

func roleOrgs(s *domain.Speaker) []domain.ID {
	var ids []domain.ID
	for _, r := range s.Roles {
		if r.OrgID != 0 && !slices.Contains(ids, r.OrgID) {
			ids = append(ids, r.OrgID)
		}
	}
	return ids
}

func (t *txn) indexSpeaker(s *domain.Speaker) error {
	for _, e := range t.speakerIndexEntries(s) {
		if err := t.b(e[0]).Put(e[1], e[2]); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) unindexSpeaker(s *domain.Speaker) error {
	for _, e := range t.speakerIndexEntries(s) {
		if err := t.b(e[0]).Delete(e[1]); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) deleteSpeaker(id domain.ID, cascade bool) error {
	s, err := t.Speaker(id)
	if err != nil {
		return err
	}
	stmts := t.suffixes(bSxSpeaker, idKey(id))
	positions := t.suffixes(bPxSpeaker, idKey(id))
	holders := t.suffixes(bSpeakerOrg, idKey(id))
	holders = slices.DeleteFunc(holders, func(h []byte) bool { return getID(h) == id })
	if !cascade && len(stmts)+len(positions)+len(holders) > 0 {
		return conflict("speaker %q is referenced by %d statements, %d positions and the roles of %d speakers; delete those first or ask for cascade",
			s.Key, len(stmts), len(positions), len(holders))
	}
	for _, sk := range stmts {
		if err := t.deleteStatement(getID(sk[dateKeyLen:]), true); err != nil {
			return err
		}
	}
	for _, pk := range t.suffixes(bPxSpeaker, idKey(id)) {
		if err := t.deletePosition(getID(pk[dateKeyLen:])); err != nil {
			return err
		}
	}
	for _, h := range holders {
		other, err := t.Speaker(getID(h))
		if err != nil {
			return err
		}
		other.Roles = slices.DeleteFunc(other.Roles, func(r domain.Role) bool { return r.OrgID == id })
		if err := t.PutSpeaker(other); err != nil {
			return err
		}
	}
	if err := t.unindexSpeaker(s); err != nil {
		return err
	}
	t.changed(domain.TypeSpeaker, id, domain.Deleted)
	return t.b(bSpeakers).Delete(idKey(id))
}

// ---- topics ----

func (t *txn) Topic(id domain.ID) (*domain.Topic, error) {
	return record(t, bTopics, "topic", id, decodeTopic)
}

func (t *txn) TopicByKey(key string) (*domain.Topic, error) {
	return recordBy(t, bTopicKey, key, "topic", fmt.Sprintf("%q", key), t.Topic)
}

func (t *txn) PutTopic(tp *domain.Topic) error {
	if err := tp.Normalize(); err != nil {
		return err
	}
	var old *domain.Topic
	if tp.ID != 0 {
		var err error
		if old, err = t.Topic(tp.ID); err != nil {
			return err
		}
	}
	if id := t.lookupID(bTopicKey, []byte(tp.Key)); id != 0 && id != tp.ID {
		return &domain.Error{Code: domain.CodeConflict, Path: []string{"key"}, Message: fmt.Sprintf("topic key %q is taken", tp.Key)}
	}
	if tp.ParentID != 0 {
		// Walk up from the new parent: meeting the topic itself means the
		// change would make a cycle.
		for p := tp.ParentID; p != 0; {
			if p == tp.ID {
				return domain.FieldErrorf([]string{"parent"}, "topic %q cannot be a subtopic of its own subtopic", tp.Key)
			}
			pt, err := t.Topic(p)
			if err != nil {
				return domain.FieldErrorf([]string{"parent"}, "topic with id %d does not exist", p)
			}
			p = pt.ParentID
		}
	}
	if tp.ID == 0 {
		id, err := t.nextID(bTopics)
		if err != nil {
			return err
		}
		tp.ID = id
	}
	var oldCreated time.Time
	if old != nil {
		oldCreated = old.CreatedAt
		if err := t.b(bTopicKey).Delete([]byte(old.Key)); err != nil {
			return err
		}
		if old.ParentID != 0 {
			if err := t.b(bTopicChild).Delete(cat(idKey(old.ParentID), idKey(old.ID))); err != nil {
				return err
			}
		}
	}
	t.stamp(&tp.CreatedAt, &tp.UpdatedAt, oldCreated)
	v, err := encodeTopic(tp)
	if err != nil {
		return err
	}
	if err := t.b(bTopics).Put(idKey(tp.ID), v); err != nil {
		return err
	}
	if err := t.b(bTopicKey).Put([]byte(tp.Key), idKey(tp.ID)); err != nil {
		return err
	}
	t.changed(domain.TypeTopic, tp.ID, opFor(old == nil))
	if tp.ParentID != 0 {
		return t.b(bTopicChild).Put(cat(idKey(tp.ParentID), idKey(tp.ID)), nil)
	}
	return nil
}

// children returns the ids of a topic's direct subtopics.
func (t *txn) children(id domain.ID) []domain.ID {
	var out []domain.ID
	for _, k := range t.suffixes(bTopicChild, idKey(id)) {
		out = append(out, getID(k))
	}
	return out
}

// subtree returns the topic and all its descendants, breadth first.
func (t *txn) subtree(id domain.ID) []domain.ID {
	out := []domain.ID{id}
	for i := 0; i < len(out); i++ {
		out = append(out, t.children(out[i])...)
	}
	return out
}

func (t *txn) deleteTopic(id domain.ID, cascade bool) error {
	tp, err := t.Topic(id)
	if err != nil {
		return err
	}
	kids := t.children(id)
	stmts := t.suffixes(bSxTopic, idKey(id))
	positions := t.suffixes(bPxTopic, idKey(id))
	if !cascade && len(kids)+len(stmts)+len(positions) > 0 {
		return conflict("topic %q has %d subtopics and is referenced by %d statements and %d positions; delete those first or ask for cascade",
			tp.Key, len(kids), len(stmts), len(positions))
	}
	for _, k := range kids {
		if err := t.deleteTopic(k, true); err != nil {
			return err
		}
	}
	for _, sk := range stmts {
		st, err := t.Statement(getID(sk[dateKeyLen:]))
		if err != nil {
			return err
		}
		st.TopicIDs = slices.DeleteFunc(st.TopicIDs, func(x domain.ID) bool { return x == id })
		if err := t.PutStatement(st); err != nil {
			return err
		}
	}
	for _, pk := range positions {
		if err := t.deletePosition(getID(pk[dateKeyLen:])); err != nil {
			return err
		}
	}
	if err := t.b(bTopicKey).Delete([]byte(tp.Key)); err != nil {
		return err
	}
	if tp.ParentID != 0 {
		if err := t.b(bTopicChild).Delete(cat(idKey(tp.ParentID), idKey(id))); err != nil {
			return err
		}
	}
	t.changed(domain.TypeTopic, id, domain.Deleted)
	return t.b(bTopics).Delete(idKey(id))
}

// ---- sources ----

func (t *txn) Source(id domain.ID) (*domain.Source, error) {
	return record(t, bSources, "source", id, decodeSource)
}

func (t *txn) SourceByURL(raw string) (*domain.Source, error) {
	u, err := domain.NormalizeURL(raw)
	if err != nil {
		return nil, err
	}
	return recordBy(t, bSourceURL, u, "source", u, t.Source)
}

func (t *txn) PutSource(s *domain.Source) error {
	if err := s.Normalize(); err != nil {
		return err
	}
	var old *domain.Source
	if s.ID != 0 {
		var err error
		if old, err = t.Source(s.ID); err != nil {
			return err
		}
	}
	if id := t.lookupID(bSourceURL, []byte(s.URL)); id != 0 && id != s.ID {
		return &domain.Error{Code: domain.CodeConflict, Path: []string{"url"}, Message: fmt.Sprintf("a source with url %s exists", s.URL)}
	}
	if s.ID == 0 {
		id, err := t.nextID(bSources)
		if err != nil {
			return err
		}
		s.ID = id
	}
	var oldCreated time.Time
	if old != nil {
		oldCreated = old.CreatedAt
		if err := t.b(bSourceURL).Delete([]byte(old.URL)); err != nil {
			return err
		}
	}
	t.stamp(&s.CreatedAt, &s.UpdatedAt, oldCreated)
	v, err := encodeSource(s)
	if err != nil {
		return err
	}
	if err := t.b(bSources).Put(idKey(s.ID), v); err != nil {
		return err
	}
	t.changed(domain.TypeSource, s.ID, opFor(old == nil))
	return t.b(bSourceURL).Put([]byte(s.URL), idKey(s.ID))
}

func (t *txn) deleteSource(id domain.ID, cascade bool) error {
	s, err := t.Source(id)
	if err != nil {
		return err
	}
	stmts := t.citing(id)
	if !cascade && len(stmts) > 0 {
		return conflict("source %s is cited by %d statements; delete those first or ask for cascade", s.URL, len(stmts))
	}
	slices.Sort(stmts) // the runs yield them in no particular order
	for _, sid := range stmts {
		st, err := t.Statement(sid)
		if err != nil {
			return err
		}
		st.SourceIDs = slices.DeleteFunc(st.SourceIDs, func(x domain.ID) bool { return x == id })
		if err := t.PutStatement(st); err != nil {
			return err
		}
	}
	if err := t.b(bSourceURL).Delete([]byte(s.URL)); err != nil {
		return err
	}
	t.changed(domain.TypeSource, id, domain.Deleted)
	return t.b(bSources).Delete(idKey(id))
}

// ---- statements ----

func (t *txn) Statement(id domain.ID) (*domain.Statement, error) {
	if t.recs != nil {
		return t.cachedStatement(id)
	}
	return record(t, bStatements, "statement", id, decodeStatement)
}

func (t *txn) StatementByExternalID(ext string) (*domain.Statement, error) {
	return recordBy(t, bStmtExt, ext, "statement", fmt.Sprintf("with externalId %q", ext), t.Statement)
}

func (t *txn) StatementByNaturalKey(s *domain.Statement) (*domain.Statement, error) {
	id, err := t.statementWithNatKey(natKey(s), 0)
	if err != nil {
		return nil, err
	}
	if id == 0 {
		return nil, domain.ErrNotFound("statement", "with that speaker, text and date")
	}
	return t.Statement(id)
}

func (t *txn) PutStatement(s *domain.Statement) error {
	if err := s.Normalize(); err != nil {
		return err
	}
	var old *domain.Statement
	if s.ID != 0 {
		var err error
		if old, err = t.Statement(s.ID); err != nil {
			return err
		}
	}
	speaker, err := t.Speaker(s.SpeakerID)
	if err != nil {
		return domain.FieldErrorf([]string{"speaker"}, "speaker with id %d does not exist", s.SpeakerID)
	}
	for i, id := range s.TopicIDs {
		if t.b(bTopics).Get(idKey(id)) == nil {
			return domain.FieldErrorf([]string{"topics", fmt.Sprint(i)}, "topic with id %d does not exist", id)
		}
	}
	for i, id := range s.SourceIDs {
		if t.b(bSources).Get(idKey(id)) == nil {
			return domain.FieldErrorf([]string{"sources", fmt.Sprint(i)}, "source with id %d does not exist", id)
		}
	}
	if s.ExternalID != "" {
		if id := t.lookupID(bStmtExt, []byte(s.ExternalID)); id != 0 && id != s.ID {
			return &domain.Error{Code: domain.CodeConflict, Path: []string{"externalId"}, Message: fmt.Sprintf("externalId %q belongs to statement %d", s.ExternalID, id)}
		}
	}
	nk := natKey(s) // normalizes the text: once per write
	other, err := t.statementWithNatKey(nk, s.ID)
	if err != nil {
		return err
	}
	if other != 0 {
		return &domain.Error{Code: domain.CodeConflict, Path: []string{"text"}, Message: fmt.Sprintf("statement %d has the same speaker, text and date", other)}
	}
	if s.ID == 0 {
		id, err := t.nextID(bStatements)
		if err != nil {
			return err
		}
		s.ID = id
	}
	var oldCreated time.Time
	if old != nil {
		oldCreated = old.CreatedAt
		oldSpeaker, err := t.Speaker(old.SpeakerID)
		if err != nil {
			return err
		}
		if err := t.unindexStatement(old, oldSpeaker.Country); err != nil {
			return err
		}
	}
	t.stamp(&s.CreatedAt, &s.UpdatedAt, oldCreated)
	v, err := encodeStatement(s)
	if err != nil {
		return err
	}
	t.dirty = append(t.dirty, s.ID)
	if err := t.b(bStatements).Put(idKey(s.ID), v); err != nil {
		return err
	}
	if w := s.SaidOn.Width(); !s.SaidOn.IsZero() && w > t.maxWidth() {
		if err := t.b(bMeta).Put(mMaxWidth, binary.BigEndian.AppendUint32(nil, uint32(w))); err != nil {
			return err
		}
	}
	t.changed(domain.TypeStatement, s.ID, opFor(old == nil))
	return t.indexStatement(s, speaker.Country, nk)
}

// maxWidth is the widest saidOn interval ever stored, in days: a statement
// overlapping [from, to] starts no earlier than from-maxWidth, which bounds
// the date index range a date filter reads.
func (t *txn) maxWidth() int32 {
	v := t.b(bMeta).Get(mMaxWidth)
	if len(v) != 4 {
		return 0
	}
	return int32(binary.BigEndian.Uint32(v))
}

// statementIndex lists a statement's index entries as (bucket, prefix)
// pairs; the suffix of each is the statement's sort key.
func statementIndex(s *domain.Statement, country string) [][2][]byte {
	toks := uniqueTokens(s.Text)
	// One allocation for all the prefixes: a statement has ~24 of them,
	// and this runs for every statement written and verified.
	size := idLen * (1 + len(s.TopicIDs))
	for _, tok := range toks {
		size += len(tok) + 1
	}
	arena := make([]byte, 0, size)
	id := func(v domain.ID) []byte {
		arena = binary.BigEndian.AppendUint64(arena, uint64(v))
		return arena[len(arena)-idLen : len(arena) : len(arena)]
	}
	e := make([][2][]byte, 0, 4+len(s.TopicIDs)+len(toks))
	e = append(e,
		[2][]byte{bSxAll, nil},
		[2][]byte{bSxSpeaker, id(s.SpeakerID)},
		[2][]byte{bSxCountry, countryKey(country)},
		[2][]byte{bSxKind, kindByte(s.Kind)},
	)
	for _, t := range s.TopicIDs {
		e = append(e, [2][]byte{bSxTopic, id(t)})
	}
	for _, tok := range toks {
		start := len(arena)
		arena = append(append(arena, tok...), 0) // wordPrefix
		e = append(e, [2][]byte{bSxWord, arena[start:len(arena):len(arena)]})
	}
	return e
}

// maxTokenLen keeps pathological "words" out of the search index: no query
// a person types matches a 200-letter token, and bbolt keys stay small.
const maxTokenLen = 64

func uniqueTokens(text string) []string { return indexableTokens(domain.Tokens(text)) }

// indexableTokens sorts toks, drops duplicates and keeps those with
// postings: the words under which the search index lists a text.
func indexableTokens(toks []string) []string {
	slices.Sort(toks)
	toks = slices.Compact(toks)
	return slices.DeleteFunc(toks, func(s string) bool { return !indexable(s) })
}

// indexable reports whether a token has postings in the search index.
func indexable(tok string) bool { return len(tok) <= maxTokenLen && !domain.IsStopWord(tok) }

// indexStatement writes a statement's index entries; nk is its natural key.
func (t *txn) indexStatement(s *domain.Statement, country string, nk []byte) error {
	sk := sortKey(s)
	for _, e := range statementIndex(s, country) {
		if err := t.ixPut(e[0], e[1], sk); err != nil {
			return err
		}
	}
	if s.ExternalID != "" {
		if err := t.b(bStmtExt).Put([]byte(s.ExternalID), idKey(s.ID)); err != nil {
			return err
		}
	}
	for _, src := range s.SourceIDs {
		if err := t.ixPut(bSxCites, nil, citeEntry(src, s.ID)); err != nil {
			return err
		}
	}
	return t.ixPut(bSxNat, nil, natEntry(nk, s.ID))
}

func (t *txn) unindexStatement(s *domain.Statement, country string) error {
	sk := sortKey(s)
	for _, e := range statementIndex(s, country) {
		if err := t.ixDel(e[0], e[1], sk); err != nil {
			return err
		}
	}
	if s.ExternalID != "" {
		if err := t.b(bStmtExt).Delete([]byte(s.ExternalID)); err != nil {
			return err
		}
	}
	for _, src := range s.SourceIDs {
		if err := t.ixDel(bSxCites, nil, citeEntry(src, s.ID)); err != nil {
			return err
		}
	}
	return t.ixDel(bSxNat, nil, natEntry(natKey(s), s.ID))
}

func (t *txn) deleteStatement(id domain.ID, cascade bool) error {
	s, err := t.Statement(id)
	if err != nil {
		return err
	}
	citing := t.suffixes(bPxEvidence, idKey(id))
	if !cascade && len(citing) > 0 {
		return conflict("statement %d is evidence of %d positions; remove it from them first or ask for cascade", id, len(citing))
	}
	for _, pk := range citing {
		p, err := t.Position(getID(pk))
		if err != nil {
			return err
		}
		p.EvidenceIDs = slices.DeleteFunc(p.EvidenceIDs, func(x domain.ID) bool { return x == id })
		if err := t.PutPosition(p); err != nil {
			return err
		}
	}
	speaker, err := t.Speaker(s.SpeakerID)
	if err != nil {
		return err
	}
	if err := t.unindexStatement(s, speaker.Country); err != nil {
		return err
	}
	t.changed(domain.TypeStatement, id, domain.Deleted)
	t.dirty = append(t.dirty, id)
	return t.b(bStatements).Delete(idKey(id))
}

// ---- positions ----

// Position returns the position with its derived PreviousID and
// PreviousStance filled.
func (t *txn) Position(id domain.ID) (*domain.Position, error) {
	v := t.b(bPositions).Get(idKey(id))
	if v == nil {
		return nil, domain.ErrNotFound("position", fmt.Sprintf("with id %d", id))
	}
	p, err := decodePosition(id, v)
	if err != nil {
		return nil, err
	}
	return p, t.fillPrevious(p)
}

// positionAt reads the position of timeline entry k, whose topic and
// speaker are its first prefixLen bytes, and fills its previous entry
// from prevK, the speaker's entry before it (nil: none): a stance map
// walks the timeline and has both, so this saves fillPrevious's seek.
func (t *txn) positionAt(k, prevK []byte, prefixLen int) (*domain.Position, error) {
	id := getID(k[prefixLen+dateKeyLen:])
	v := t.b(bPositions).Get(idKey(id))
	if v == nil {
		return nil, fmt.Errorf("timeline index names missing position %d", id)
	}
	p, err := decodePosition(id, v)
	if err != nil {
		return nil, err
	}
	if prevK == nil {
		return p, nil
	}
	prevID := getID(prevK[prefixLen+dateKeyLen:])
	if v = t.b(bPositions).Get(idKey(prevID)); v == nil {
		return nil, fmt.Errorf("timeline index names missing position %d", prevID)
	}
	prev, err := decodePosition(prevID, v)
	if err != nil {
		return nil, err
	}
	p.PreviousID, p.PreviousStance = prevID, prev.Stance
	return p, nil
}

// fillPrevious finds the timeline entry just before p: one seek.
func (t *txn) fillPrevious(p *domain.Position) error {
	prefix := cat(idKey(p.TopicID), idKey(p.SpeakerID))
	c := t.b(bPxTimeline).Cursor()
	k, _ := c.Seek(cat(prefix, posKey(p)))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	p.PreviousID, p.PreviousStance = 0, ""
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return nil
	}
	prevID := getID(k[len(prefix)+dateKeyLen:])
	v := t.b(bPositions).Get(idKey(prevID))
	if v == nil {
		return fmt.Errorf("timeline index names missing position %d", prevID)
	}
	prev, err := decodePosition(prevID, v)
	if err != nil {
		return err
	}
	p.PreviousID, p.PreviousStance = prevID, prev.Stance
	return nil
}

func (t *txn) PositionAt(speakerID, topicID domain.ID, asOf domain.PartialDate) (*domain.Position, error) {
	id, err := t.positionWithNatKey(&domain.Position{SpeakerID: speakerID, TopicID: topicID, AsOf: asOf})
	if err != nil {
		return nil, err
	}
	if id == 0 {
		return nil, domain.ErrNotFound("position", fmt.Sprintf("of speaker %d on topic %d as of %s", speakerID, topicID, asOf))
	}
	return t.Position(id)
}

func (t *txn) PositionsCiting(statementID domain.ID) ([]*domain.Position, error) {
	var out []*domain.Position
	for _, k := range t.suffixes(bPxEvidence, idKey(statementID)) {
		p, err := t.Position(getID(k))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func (t *txn) PutPosition(p *domain.Position) error {
	if err := p.Normalize(); err != nil {
		return err
	}
	var old *domain.Position
	if p.ID != 0 {
		v := t.b(bPositions).Get(idKey(p.ID))
		if v == nil {
			return domain.ErrNotFound("position", fmt.Sprintf("with id %d", p.ID))
		}
		var err error
		if old, err = decodePosition(p.ID, v); err != nil {
			return err
		}
	}
	if t.b(bSpeakers).Get(idKey(p.SpeakerID)) == nil {
		return domain.FieldErrorf([]string{"speaker"}, "speaker with id %d does not exist", p.SpeakerID)
	}
	if t.b(bTopics).Get(idKey(p.TopicID)) == nil {
		return domain.FieldErrorf([]string{"topic"}, "topic with id %d does not exist", p.TopicID)
	}
	for i, id := range p.EvidenceIDs {
		if t.b(bStatements).Get(idKey(id)) == nil {
			return domain.FieldErrorf([]string{"evidence", fmt.Sprint(i)}, "statement with id %d does not exist", id)
		}
	}
	other, err := t.positionWithNatKey(p)
	if err != nil {
		return err
	}
	if other != 0 {
		return &domain.Error{Code: domain.CodeConflict, Path: []string{"asOf"}, Message: fmt.Sprintf("position %d already holds this speaker's stance on this topic as of %s", other, p.AsOf)}
	}
	if p.ID == 0 {
		id, err := t.nextID(bPositions)
		if err != nil {
			return err
		}
		p.ID = id
	}
	var oldCreated time.Time
	if old != nil {
		oldCreated = old.CreatedAt
		if err := t.unindexPosition(old); err != nil {
			return err
		}
	}
	t.stamp(&p.CreatedAt, &p.UpdatedAt, oldCreated)
	v, err := encodePosition(p)
	if err != nil {
		return err
	}
	if err := t.b(bPositions).Put(idKey(p.ID), v); err != nil {
		return err
	}
	if err := t.indexPosition(p); err != nil {
		return err
	}
	t.changed(domain.TypePosition, p.ID, opFor(old == nil))
	return t.fillPrevious(p)
}

// positionIndex lists a position's (bucket, prefix, suffix) entries.
func positionIndex(p *domain.Position) [][3][]byte {
	pk := posKey(p)
	e := [][3][]byte{
		{bPxAll, nil, pk},
		{bPxTopic, idKey(p.TopicID), pk},
		{bPxSpeaker, idKey(p.SpeakerID), pk},
		{bPxTimeline, cat(idKey(p.TopicID), idKey(p.SpeakerID)), pk},
	}
	for _, id := range p.EvidenceIDs {
		e = append(e, [3][]byte{bPxEvidence, idKey(id), idKey(p.ID)})
	}
	return e
}

func (t *txn) indexPosition(p *domain.Position) error {
	for _, e := range positionIndex(p) {
		if err := t.ixPut(e[0], e[1], e[2]); err != nil {
			return err
		}
	}
	return t.ixPut(bPxNat, nil, natEntry(posNatKey(p), p.ID))
}

func (t *txn) unindexPosition(p *domain.Position) error {
	for _, e := range positionIndex(p) {
		if err := t.ixDel(e[0], e[1], e[2]); err != nil {
			return err
		}
	}
	return t.ixDel(bPxNat, nil, natEntry(posNatKey(p), p.ID))
}

func (t *txn) deletePosition(id domain.ID) error {
	v := t.b(bPositions).Get(idKey(id))
	if v == nil {
		return domain.ErrNotFound("position", fmt.Sprintf("with id %d", id))
	}
	p, err := decodePosition(id, v)
	if err != nil {
		return err
	}
	if err := t.unindexPosition(p); err != nil {
		return err
	}
	t.changed(domain.TypePosition, id, domain.Deleted)
	return t.b(bPositions).Delete(idKey(id))
}
