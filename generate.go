package main

// The generate step: "go generate ./..." regenerates graph/generated.go and
// graph/model/models_gen.go from schema.graphqls and gqlgen.yml. CI runs it
// and fails when the result differs from what is committed.
//go:generate go tool gqlgen generate
