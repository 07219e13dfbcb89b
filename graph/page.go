package graph

import (
	"encoding/base64"

	"parley/domain"
	"parley/graph/model"
)

// Cursors are the unpadded base64url form of the store's cursor bytes: the
// store alone knows what they mean, and the client cannot tell.

func encodeCursor(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func decodeCursor(arg, s string) ([]byte, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, domain.FieldErrorf([]string{arg}, "is not a valid cursor; use a cursor from this list's edges or pageInfo")
	}
	return b, nil
}

// pageArgs turns Relay's connection arguments into a store page. The store
// treats a size of 0 as "not given", so an explicit 0 (or less) is caught
// here.
func pageArgs(first *int, after *string, last *int, before *string) (domain.Page, error) {
	var p domain.Page
	for _, a := range []struct {
		name string
		v    *int
		dst  *int
	}{{"first", first, &p.First}, {"last", last, &p.Last}} {
		if a.v == nil {
			continue
		}
		if *a.v < domain.MinPageSize {
			return p, domain.FieldErrorf([]string{a.name}, "must be between %d and %d", domain.MinPageSize, domain.MaxPageSize)
		}
		*a.dst = *a.v
	}
	var err error
	if after != nil {
		if p.After, err = decodeCursor("after", *after); err != nil {
			return p, err
		}
	}
	if before != nil {
		if p.Before, err = decodeCursor("before", *before); err != nil {
			return p, err
		}
	}
	return p, p.Validate()
}

// connection pairs a page's nodes with their cursors, leaving out the
// nodes the converter dropped, and describes the page. The start and end
// cursors are the page's own, dropped or not, so that paging on from them
// neither repeats nor skips an item.
func connection[T, N, E any](res *domain.Result[T], nodes []*N, edge func(cursor string, node *N) *E) ([]*E, *model.PageInfo) {
	out := make([]*E, 0, len(nodes))
	for i, n := range nodes {
		if n != nil {
			out = append(out, edge(encodeCursor(res.Cursors[i]), n))
		}
	}
	info := &model.PageInfo{HasNextPage: res.HasNextPage, HasPreviousPage: res.HasPreviousPage}
	if n := len(res.Cursors); n > 0 {
		start, end := encodeCursor(res.Cursors[0]), encodeCursor(res.Cursors[n-1])
		info.StartCursor, info.EndCursor = &start, &end
	}
	return out, info
}
