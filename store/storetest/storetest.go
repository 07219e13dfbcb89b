package storetest

import (
	"context"
	"strings"
	"testing"

	"parley/domain"
)

// testCase is one conformance subtest. It gets a fresh, empty store.
type testCase struct {
	name string
	fn   func(t *testing.T, s domain.Store)
}

// areas groups the subtests by the part of the contract they cover.
var areas = []struct {
	name  string
	cases []testCase
}{
	{"CRUD", crudTests},
	{"Validation", validationTests},
	{"Unique", uniqueTests},
	{"Integrity", integrityTests},
	{"Queries", queryTests},
	{"Pagination", paginationTests},
	{"Dates", dateTests},
	{"Positions", positionTests},
	{"Tx", txTests},
	{"Scan", scanTests},
	{"Concurrency", concurrencyTests},
}

// Run runs the conformance suite. newStore must return a new, empty store
// for each call and register with t.Cleanup whatever releases it. After
// each subtest the suite calls Verify on the store and fails the subtest
// when the report is not OK.
func Run(t *testing.T, newStore func(t *testing.T) domain.Store) {
	for _, area := range areas {
		t.Run(area.name, func(t *testing.T) {
			for _, tc := range area.cases {
				t.Run(tc.name, func(t *testing.T) {
					s := newStore(t)
					// Cleanups run last-registered first, so this one runs
					// before newStore's cleanup closes the store.
					t.Cleanup(func() { verify(t, s) })
					tc.fn(t, s)
				})
			}
		})
	}
}

// verify fails t when the store's indexes disagree with its records. It
// runs from a cleanup, after t.Context is cancelled, hence its own context.
func verify(t *testing.T, s domain.Store) {
	t.Helper()
	rep, err := s.Verify(context.Background())
	if err != nil {
		t.Errorf("Verify after the test: %v", err)
		return
	}
	if rep == nil {
		t.Errorf("Verify after the test returned a nil report")
		return
	}
	if !rep.OK() {
		t.Errorf("Verify after the test found %d problem(s) in %d records:\n\t%s",
			len(rep.Problems), rep.Records, strings.Join(rep.Problems, "\n\t"))
	}
}
