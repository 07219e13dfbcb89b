package importer

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"parley/domain"
)

// Import imports recs into s, as the package documentation describes, and
// reports the outcome of every record in input order. It returns an error
// only for what is no record's fault: invalid options, a storage failure,
// a cancelled context. Then nothing is written.
func Import(ctx context.Context, s domain.Store, recs []domain.StatementImport, opts domain.ImportOptions) (*domain.ImportReport, error) {
	p, err := prepare(recs, opts)
	if err != nil {
		return nil, err
	}
	return p.apply(ctx, s)
}

// prepared is a batch after phase 1: the records that passed, and the
// results of those that did not.
type prepared struct {
	opts    domain.ImportOptions
	results []domain.ImportResult
	records []*record // nil: failed, not to be written
	failed  bool
}

// prepare checks the options and runs phase 1, which needs no store.
func prepare(recs []domain.StatementImport, opts domain.ImportOptions) (*prepared, error) {
	switch opts.OnConflict {
	case "":
		opts.OnConflict = domain.OnConflictUpdate
	case domain.OnConflictUpdate, domain.OnConflictSkip, domain.OnConflictFail:
	default:
		return nil, domain.FieldErrorf([]string{"options", "onConflict"}, "%q is not one of UPDATE, SKIP, FAIL", opts.OnConflict)
	}

	p := &prepared{
		opts:    opts,
		results: make([]domain.ImportResult, len(recs)),
		records: make([]*record, len(recs)),
	}
	firstUse := make(map[string]int) // externalId → index of the first record with it
	for i := range recs {
		rec, errs := validate(i, &recs[i])
		if ext := rec.stmt.ExternalID; ext != "" {
			if j, dup := firstUse[ext]; dup {
				errs.addf(domain.CodeConflict, path("externalId"), "externalId %q is already used by record %d of this batch; an externalId identifies one statement", ext, j)
			} else {
				firstUse[ext] = i
			}
		}
		p.results[i] = domain.ImportResult{Index: i}
		if len(errs) > 0 {
			p.results[i].Status = domain.ImportFailed
			p.results[i].Errors = errs
			p.failed = true
			continue
		}
		p.records[i] = rec
	}
	return p, nil
}

// apply runs phase 2 in one write transaction and reports. It may be
// called once.
func (p *prepared) apply(ctx context.Context, s domain.Store) (*domain.ImportReport, error) {
	results, records, failed := p.results, p.records, p.failed
	for {
		out, err := attempt(ctx, s, records, p.opts, failed)
		var f *recordFault
		if errors.As(err, &f) {
			// The store refused a write after the transaction had begun
			// writing the record; without savepoints the only way to drop
			// its partial writes is to run the batch again without it.
			results[f.index] = domain.ImportResult{Index: f.index, Status: domain.ImportFailed,
				Errors: []domain.Issue{f.issue}, Warnings: f.warnings}
			records[f.index] = nil
			failed = true
			continue
		}
		if err != nil {
			return nil, err
		}
		return p.reportWith(out, failed), nil
	}
}

// reportWith merges phase 2's results, out, into the batch's report;
// failed says whether a record has failed before phase 2 wrote.
func (p *prepared) reportWith(out []domain.ImportResult, failed bool) *domain.ImportReport {
	for i, rec := range p.records {
		if rec != nil {
			p.results[i] = out[i]
			failed = failed || out[i].Status == domain.ImportFailed
		}
	}
	return report(p.results, p.opts, failed)
}

// report counts the outcomes, after turning them into what was actually
// written: nothing, when an atomic batch had a failure.
func report(results []domain.ImportResult, opts domain.ImportOptions, failed bool) *domain.ImportReport {
	rep := &domain.ImportReport{Results: results}
	var uncommitted map[domain.ID]bool // ids of statements the batch created, when it did not commit
	if opts.DryRun || (opts.Atomic && failed) {
		uncommitted = make(map[domain.ID]bool)
		for _, r := range results {
			if r.Status == domain.ImportCreated {
				uncommitted[r.ID] = true
			}
		}
	}
	for i := range results {
		r := &results[i]
		if r.Status != domain.ImportFailed {
			if uncommitted[r.ID] {
				// Never committed, by this record or an earlier one of the
				// batch: the id may go to another statement.
				r.ID = 0
			}
			if opts.Atomic && failed {
				r.Status = domain.ImportSkipped
			}
		}
		switch r.Status {
		case domain.ImportCreated:
			rep.Created++
		case domain.ImportUpdated:
			rep.Updated++
		case domain.ImportUnchanged:
			rep.Unchanged++
		case domain.ImportSkipped:
			rep.Skipped++
		case domain.ImportFailed:
			rep.Failed++
		}
	}
	return rep
}

// errRollback ends a transaction whose writes must not commit (a dry run,
// an atomic batch with a failed record) or that has none.
var errRollback = errors.New("importer: roll back")

// recordFault is a write the store refused for one record. It aborts the
// attempt; Import runs the batch again without the record.
type recordFault struct {
	index    int
	issue    domain.Issue
	warnings []domain.Issue
}

func (f *recordFault) Error() string {
	return fmt.Sprintf("record %d: %s", f.index, f.issue.Message)
}

// attempt runs phase 2 for the non-nil records in one write transaction
// and returns their results by index. failed says whether an earlier
// phase already failed a record.
func attempt(ctx context.Context, s domain.Store, records []*record, opts domain.ImportOptions, failed bool) ([]domain.ImportResult, error) {
	out := make([]domain.ImportResult, len(records))
	if !slices.ContainsFunc(records, func(r *record) bool { return r != nil }) {
		return out, nil
	}
	err := s.Update(ctx, func(tx domain.Tx) error {
		anyFailed, wrote, err := writeRecords(ctx, tx, records, opts, out)
		if err != nil {
			return err
		}
		// A transaction that wrote nothing is rolled back too: committing
		// it would still cost a write and a sync of the database file.
		if opts.DryRun || (opts.Atomic && (failed || anyFailed)) || !wrote {
			return errRollback
		}
		return nil
	})
	if errors.Is(err, errRollback) {
		err = nil
	}
	return out, err
}

// writeRecords runs phase 2 for the non-nil records in tx, puts their results
// in out by index, and says whether any failed and whether any wrote.
func writeRecords(ctx context.Context, tx domain.Tx, records []*record, opts domain.ImportOptions, out []domain.ImportResult) (anyFailed, wrote bool, err error) {
	b := newBatch(tx, opts.OnConflict)
	for i, rec := range records {
		if rec == nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return false, false, err
		}
		res, err := b.apply(rec)
		if err != nil {
			return false, false, err
		}
		out[i] = res
		anyFailed = anyFailed || res.Status == domain.ImportFailed
		wrote = wrote || res.Status == domain.ImportCreated || res.Status == domain.ImportUpdated
	}
	return anyFailed, wrote, nil
}

// batch is one attempt at phase 2 inside a write transaction. Its caches
// hold the stored state of what the transaction has read or written, by
// natural key, so that a batch reads each speaker, topic and source once
// however many records name it. Cached records are never modified: a plan
// changes a copy, and writing it replaces the cache entry.
type batch struct {
	tx       domain.Tx
	policy   domain.OnConflict
	speakers map[string]*domain.Speaker // by key; nil: not stored
	topics   map[string]*domain.Topic   // by key; nil: not stored
	sources  map[string]*domain.Source  // by normalized URL; nil: not stored

	// The record of the batch that first wrote, or found unchanged, each
	// statement, by id. A later record of the batch that would give the
	// statement other values (the same natural key, a text that differs
	// in case or punctuation) is refused: applied, it would undo the
	// earlier record, and every run of the same batch would write both
	// again, never UNCHANGED.
	statementBy map[domain.ID]int
}

func newBatch(tx domain.Tx, policy domain.OnConflict) *batch {
	return &batch{
		tx:          tx,
		policy:      policy,
		speakers:    make(map[string]*domain.Speaker),
		topics:      make(map[string]*domain.Topic),
		sources:     make(map[string]*domain.Source),
		statementBy: make(map[domain.ID]int),
	}
}

// claim records that the plan's record wrote, or left as it has it, its
// statement.
func (b *batch) claim(p *plan) {
	if _, ok := b.statementBy[p.stmt.ID]; !ok {
		b.statementBy[p.stmt.ID] = p.rec.index
	}
}

// apply plans one record, decides its outcome and writes it. It returns
// an error only when the attempt must end: a *recordFault or a failure
// that is no record's fault.
func (b *batch) apply(rec *record) (domain.ImportResult, error) {
	p := &plan{rec: rec, newSpeakers: make(map[string]*domain.Speaker)}
	if err := b.plan(p); err != nil {
		return domain.ImportResult{}, err
	}
	res := domain.ImportResult{Index: rec.index, Warnings: p.warns}
	if p.match != nil {
		res.ID = p.match.ID
	}
	switch {
	case len(p.errs) > 0:
		res.ID = 0
		res.Status, res.Errors = domain.ImportFailed, p.errs
		return res, nil
	case len(p.conflicts) > 0 && b.policy == domain.OnConflictSkip:
		res.Status = domain.ImportSkipped
		return res, nil
	case len(p.conflicts) > 0 && b.policy == domain.OnConflictFail:
		res.ID = 0
		res.Status, res.Errors = domain.ImportFailed, p.conflicts
		return res, nil
	}
	changed, err := b.write(p)
	if err != nil {
		return res, err
	}
	b.claim(p)
	res.ID = p.stmt.ID
	switch {
	case p.match == nil:
		res.Status = domain.ImportCreated
	case changed:
		res.Status = domain.ImportUpdated
	default:
		res.Status = domain.ImportUnchanged
	}
	return res, nil
}

// speaker returns the stored speaker with the key, or nil.
func (b *batch) speaker(key string) (*domain.Speaker, error) {
	if s, ok := b.speakers[key]; ok {
		return s, nil
	}
	s, err := b.tx.SpeakerByKey(key)
	if s, err = orMissing(s, err); err != nil {
		return nil, err
	}
	b.speakers[key] = s
	return s, nil
}

// topic returns the stored topic with the key, or nil.
func (b *batch) topic(key string) (*domain.Topic, error) {
	if t, ok := b.topics[key]; ok {
		return t, nil
	}
	t, err := b.tx.TopicByKey(key)
	if t, err = orMissing(t, err); err != nil {
		return nil, err
	}
	b.topics[key] = t
	return t, nil
}

// source returns the stored source with the normalized URL, or nil.
func (b *batch) source(url string) (*domain.Source, error) {
	if s, ok := b.sources[url]; ok {
		return s, nil
	}
	s, err := b.tx.SourceByURL(url)
	if s, err = orMissing(s, err); err != nil {
		return nil, err
	}
	b.sources[url] = s
	return s, nil
}

// orMissing turns a lookup's NOT_FOUND into a nil record: a missing record
// is an answer, not a failure.
func orMissing[T any](v *T, err error) (*T, error) {
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return nil, nil
	}
	return v, err
}

// write performs a plan and reports whether it wrote anything. The order
// is that of references: organizations before the speaker whose roles
// name them, parents before subtopics, everything before the statement,
// the statement before the positions citing it.
func (b *batch) write(p *plan) (bool, error) {
	fault := func(err error, prefix ...string) error {
		if domain.ErrorCode(err) == domain.CodeInternal {
			return err
		}
		var l issues
		l.add(err, prefix...)
		return &recordFault{index: p.rec.index, issue: l[0], warnings: p.warns}
	}
	changed := false

	for _, o := range p.newOrgs {
		if err := b.tx.PutSpeaker(o.speaker); err != nil {
			return false, fault(err, "speaker", "roles", itoa(o.role))
		}
		b.speakers[o.speaker.Key] = o.speaker
		changed = true
	}
	for _, l := range p.orgLinks {
		p.speaker.Roles[l.role].OrgID = l.org.ID
	}
	if p.speakerWrite {
		if err := b.tx.PutSpeaker(p.speaker); err != nil {
			return false, fault(err, "speaker")
		}
		// A new speaker's role in itself can name it only once it has an
		// id: the store allows such roles, so an export may carry them.
		self := false
		for _, l := range p.orgLinks {
			if l.org == p.speaker {
				p.speaker.Roles[l.role].OrgID = p.speaker.ID
				self = true
			}
		}
		if self {
			if err := b.tx.PutSpeaker(p.speaker); err != nil {
				return false, fault(err, "speaker")
			}
		}
		b.speakers[p.speaker.Key] = p.speaker
		changed = true
	}

	for _, tp := range p.topics {
		if tp.parent != nil {
			tp.topic.ParentID = tp.parent.topic.ID
		}
		if !tp.write {
			continue
		}
		if err := b.tx.PutTopic(tp.topic); err != nil {
			return false, fault(err, "topics", itoa(tp.index))
		}
		b.topics[tp.topic.Key] = tp.topic
		changed = true
	}
	for _, sp := range p.sources {
		if !sp.write {
			continue
		}
		if err := b.tx.PutSource(sp.source); err != nil {
			return false, fault(err, "sources", itoa(sp.index))
		}
		b.sources[sp.source.URL] = sp.source
		changed = true
	}

	if p.stmtWrite {
		p.resolveStatementRefs()
		if err := b.tx.PutStatement(p.stmt); err != nil {
			return false, fault(err)
		}
		changed = true
	}

	for _, pp := range p.positions {
		if !pp.write {
			continue
		}
		pp.pos.SpeakerID = p.speaker.ID
		pp.pos.TopicID = pp.topic.ID
		pp.pos.EvidenceIDs = addID(pp.pos.EvidenceIDs, p.stmt.ID)
		if err := b.tx.PutPosition(pp.pos); err != nil {
			return false, fault(err, "positions", itoa(pp.index))
		}
		changed = true
	}
	for _, ps := range p.unlink {
		if err := b.tx.PutPosition(ps); err != nil {
			return false, fault(err, "positions")
		}
		changed = true
	}
	return changed, nil
}

// applyGroup runs phase 2 of consecutive calls of a stream, ps in stream
// order, and returns the reports of the calls that completed, in order,
// and the error of the first that did not (the calls after it did not
// run). It first tries one write transaction for them all (group
// commit): a batch's cost at commit is mostly per page it dirties, and
// consecutive batches dirty many of the same pages, so two batches
// committed together cost much less than two commits. Importing them in
// one transaction, in order, gives what importing them one after another
// gives, unless a call must not commit whole: a record that the store
// refuses after writing began, an atomic call with a failed record, an
// error. Then that transaction is rolled back and the calls run one by
// one, as they would have without grouping.
// observe, when not nil, is told the size of each group that ran: len(ps)
// when they ran together, 1 for each call run alone.
func applyGroup(ctx context.Context, s domain.Store, ps []*prepared, observe func(calls int)) ([]*domain.ImportReport, error) {
	if observe == nil {
		observe = func(int) {}
	}
	if len(ps) > 1 {
		if reps, ok := applyTogether(ctx, s, ps); ok {
			observe(len(ps))
			return reps, nil
		}
	}
	reps := make([]*domain.ImportReport, 0, len(ps))
	for _, p := range ps {
		rep, err := p.apply(ctx, s)
		if err != nil {
			return reps, err
		}
		observe(1)
		reps = append(reps, rep)
	}
	return reps, nil
}

// errSplit rolls back a group's transaction that cannot commit whole.
var errSplit = errors.New("importer: run the group's calls one by one")

// applyTogether runs ps in one write transaction, and reports false,
// having written nothing, when they cannot commit together. No call in
// ps is a dry run.
func applyTogether(ctx context.Context, s domain.Store, ps []*prepared) ([]*domain.ImportReport, bool) {
	outs := make([][]domain.ImportResult, len(ps))
	err := s.Update(ctx, func(tx domain.Tx) error {
		wroteAny := false
		for i, p := range ps {
			outs[i] = make([]domain.ImportResult, len(p.records))
			anyFailed, wrote, err := writeRecords(ctx, tx, p.records, p.opts, outs[i])
			if err != nil {
				return err
			}
			if p.opts.Atomic && (p.failed || anyFailed) {
				return errSplit
			}
			wroteAny = wroteAny || wrote
		}
		if !wroteAny {
			return errRollback // nothing to commit: spare the sync
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRollback) {
		return nil, false
	}
	reps := make([]*domain.ImportReport, len(ps))
	for i, p := range ps {
		reps[i] = p.reportWith(outs[i], p.failed)
	}
	return reps, true
}
