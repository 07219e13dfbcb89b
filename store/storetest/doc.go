// Package storetest is the conformance suite for implementations of
// domain.Store. Every backend, the embedded bbolt store today and any
// networked database tomorrow, must pass it unchanged: the suite is the
// executable form of the behaviour that the doc comments in domain/store.go
// and DESIGN.md promise to the GraphQL layer and the importer.
//
// A backend wires the suite into its own tests with one function that
// makes a fresh, empty store for each subtest and registers its cleanup:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) domain.Store {
//			s, err := mybackend.Open(t.TempDir())
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Run it with the race detector (go test -race) so that the concurrency
// subtests mean something. Subtests are named by area and case
// (TestConformance/Queries/topics=ukraine-peace/SAID_ON_DESC), so one area
// runs on its own with -run 'TestConformance/Pagination'.
//
// After every subtest, and before the store's own cleanup closes it, the
// suite calls Verify and fails the subtest if the report lists any problem:
// each test doubles as a check that the backend's indexes never drift from
// its records.
//
// The suite depends only on package domain and the standard library. It
// asserts what a client relies on: returned values, error codes (with the
// path of the offending field for BAD_USER_INPUT), and that a rejected
// write leaves every record as it was. Where the contract leaves an order
// open (speakers, sources), it checks only that pagination is consistent.
package storetest
