// Package bench measures Parley the way issues 3 and 4 set its targets:
//
//   - Import runs workload W1 of DESIGN.md: it serves a handler on
//     loopback, generates N records with package gen and streams them
//     through the real import client (package client, the importStatements
//     mutation) in batches, and reports statements per second over the
//     whole run, over the first and the last tenth (at most 100k records
//     each), and the peak Go heap in use.
//   - Load runs the queries Q1–Q5 against a GraphQL URL with a given
//     concurrency and duration, each request with variables drawn from
//     the loaded data, and reports requests per second, p50, p99 and
//     errors. Its floor mode measures, in the same run and with the same
//     client, a minimal stdlib server answering every POST with a fixed
//     4 KB JSON body, so that results are ratios to what this machine's
//     HTTP stack can do at all: on a shared, noisy machine ratios hold
//     where absolute figures drift. The floor is measured in slices
//     interleaved with each query's, so that each ratio compares rates
//     measured at the same time.
//
// Everything here talks to loopback only: Load refuses any other host.
package bench
