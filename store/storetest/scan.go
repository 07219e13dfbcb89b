package storetest

import (
	"fmt"
	"slices"
	"testing"

	"parley/domain"
)

var scanTests = []testCase{
	{"InIDOrder", testScanStatements},
}

func testScanStatements(t *testing.T, s domain.Store) {
	ctx := t.Context()
	sp := createSpeaker(t, s, person("Antonio Costa", "PT"))
	var created []*domain.Statement
	for i := range 25 {
		// Dates run backwards, so that id order is not date order.
		created = append(created, createStatement(t, s, quote(sp.ID, fmt.Sprintf("Statement number %d.", i), domain.DayDate(day("2025-12-31")-domain.Day(i)).String())))
	}
	for _, i := range []int{2, 10, 24} {
		noError(t, s.DeleteStatement(ctx, created[i].ID, false), "DeleteStatement")
	}
	var want []*domain.Statement
	for i, st := range created {
		if i != 2 && i != 10 && i != 24 {
			want = append(want, st)
		}
	}

	for _, limit := range []int{1, 7, 22, 100} {
		var got []*domain.Statement
		after := domain.ID(0)
		for range len(created) + 2 {
			page, err := s.ScanStatements(ctx, after, limit)
			noError(t, err, "ScanStatements")
			if len(page) > limit {
				t.Errorf("ScanStatements(%d, %d) returned %d statements", after, limit, len(page))
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1].ID
		}
		if !slices.Equal(ids(got, statementID), ids(want, statementID)) {
			t.Errorf("ScanStatements with limit %d: %v, want %v", limit, ids(got, statementID), ids(want, statementID))
			continue
		}
		for i := range got {
			if !same(got[i], want[i]) {
				t.Errorf("ScanStatements returned %+v, want %+v", canonical(got[i]), canonical(want[i]))
				break
			}
		}
	}
	mid := created[10].ID // deleted: scanning after it starts at the next id
	page, err := s.ScanStatements(ctx, mid, 2)
	noError(t, err, "ScanStatements")
	if got := ids(page, statementID); !slices.Equal(got, []domain.ID{created[11].ID, created[12].ID}) {
		t.Errorf("ScanStatements after deleted id %d = %v, want %v", mid, got, []domain.ID{created[11].ID, created[12].ID})
	}
}
