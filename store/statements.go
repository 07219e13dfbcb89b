package store

import (
	"bytes"
	"context"
	"slices"

	"parley/domain"
)

func (s *Store) Statement(ctx context.Context, id domain.ID) (*domain.Statement, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.stoppedErr(); err != nil {
		return nil, err
	}
	if st, ok := s.cachedStatement(id); ok {
		return st, nil
	}
	return get(s, ctx, func(t *txn) (*domain.Statement, error) { return t.Statement(id) })
}

func (s *Store) StatementsByID(ctx context.Context, ids []domain.ID) ([]*domain.Statement, error) {
	return byIDs(s, ctx, ids, (*txn).Statement)
}

func (s *Store) CreateStatement(ctx context.Context, st *domain.Statement) (*domain.Statement, error) {
	c := *st
	c.ID = 0
	return put(s, ctx, &c, (*txn).PutStatement)
}

func (s *Store) UpdateStatement(ctx context.Context, id domain.ID, fn func(*domain.Statement) error) (*domain.Statement, error) {
	return modify(s, ctx, id, (*txn).Statement, fn, (*txn).PutStatement, func(rec, old *domain.Statement) {
		rec.ID, rec.CreatedAt = old.ID, old.CreatedAt
	})
}

func (s *Store) DeleteStatement(ctx context.Context, id domain.ID, cascade bool) error {
	return s.update(ctx, func(t *txn) error { return t.deleteStatement(id, cascade) })
}

// statementList plans f and returns the list in order o with its cursor
// tag. Date orders stream from the chosen index. Creation order is id
// order: unfiltered, it streams from the records bucket; filtered, the
// matching ids are collected from the index and sorted, which costs the
// size of the match rather than of the page.
func (t *txn) statementList(f domain.StatementFilter, o domain.StatementOrder) (*list[*domain.Statement], byte, error) {
	q, err := t.planStatements(f)
	if err != nil {
		return nil, 0, err
	}
	switch o {
	case domain.SaidOnAsc, domain.SaidOnDesc, "":
		return q.dateList(o != domain.SaidOnAsc), tagStatementDate, nil
	case domain.CreatedAtDesc:
	default:
		return nil, 0, domain.FieldErrorf([]string{"orderBy"}, "%q is not one of SAID_ON_DESC, SAID_ON_ASC, CREATED_AT_DESC", o)
	}
	load := func(k, v []byte) (*domain.Statement, bool, error) {
		st, err := t.Statement(getID(k))
		return st, err == nil, err
	}
	if q.unfiltered() {
		return &list[*domain.Statement]{src: &merged{its: []*iter{newIter(t.b(bStatements), nil, nil, nil)}}, desc: true, load: load}, tagStatementCreated, nil
	}
	var keys [][]byte
	err = q.dateList(false).scan(nil, false, false, func(_ []byte, st *domain.Statement) bool {
		keys = append(keys, idKey(st.ID))
		return true
	})
	if err != nil {
		return nil, 0, err
	}
	slices.SortFunc(keys, bytes.Compare)
	return &list[*domain.Statement]{src: &memSource{keys: keys}, desc: true, load: load}, tagStatementCreated, nil
}

func (s *Store) ListStatements(ctx context.Context, f domain.StatementFilter, o domain.StatementOrder, p domain.Page) (*domain.Result[*domain.Statement], error) {
	return get(s, ctx, func(t *txn) (*domain.Result[*domain.Statement], error) {
		l, tag, err := t.statementList(f, o)
		if err != nil {
			return nil, err
		}
		want := sortKeyLen
		if tag == tagStatementCreated {
			want = idLen
		}
		for _, c := range [][]byte{p.After, p.Before} {
			if c != nil && len(c) != want+1 {
				return nil, domain.Errorf(domain.CodeBadUserInput, "cursor is not a cursor of this list; pass a cursor from this connection with the same orderBy")
			}
		}
		return l.page(p, tag)
	})
}

// CountStatements counts matches. An unfiltered count or one answered by
// a single index prefix adds up its runs' lengths; anything else walks the
// matches.
func (s *Store) CountStatements(ctx context.Context, f domain.StatementFilter) (int, error) {
	return get(s, ctx, func(t *txn) (int, error) {
		q, err := t.planStatements(f)
		if err != nil {
			return 0, err
		}
		if q.empty {
			return 0, nil
		}
		if bucket, prefix, ok := q.counted(); ok {
			return t.prefixCount(bucket, prefix), nil
		}
		return q.dateList(false).count()
	})
}

func (s *Store) ScanStatements(ctx context.Context, after domain.ID, limit int) ([]*domain.Statement, error) {
	return get(s, ctx, func(t *txn) ([]*domain.Statement, error) {
		var out []*domain.Statement
		c := t.b(bStatements).Cursor()
		k, v := c.Seek(idKey(after + 1))
		for ; k != nil && len(out) < limit; k, v = c.Next() {
			st, err := decodeStatement(getID(k), v)
			if err != nil {
				return nil, err
			}
			out = append(out, st)
		}
		return out, nil
	})
}
