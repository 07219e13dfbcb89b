package graph

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// slowParams is how the transport decoded request objects before
// decodeParams: encoding/json with UseNumber.
func slowParams(body []byte) (graphql.RawParams, error) {
	var p graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	err := dec.Decode(&p)
	return p, err
}

var paramsCases = []struct {
	body string
	fast bool // whether the hand-written path must take it
}{
	{`{"query":"{ a }"}`, true},
	{` { "query" : "query Q5($id: ID!) { statement(id: $id) { id } }" , "variables" : {"id":"U3RhdGVtZW50OjE"} } `, true},
	{`{"query":"{ a }","operationName":"A","variables":{"n":1.50,"big":12345678901234567890,"l":[1,"x",null,true],"o":{"k":{}}},"extensions":{"persistedQuery":{"version":1,"sha256Hash":"ab"}}}`, true},
	{`{"query":"{ a }","operationName":null,"variables":null,"extensions":null}`, true},
	{`{"query":null}`, true},
	{`{}`, true},
	{`{"variables":{}}`, true},
	{`{"variables":{"a":"x","a":"y"}}`, true},
	{`{"variables":{"a":"x","b":1,"c":"z"}}`, true},
	{`{"variables":{"a":"x\ty"}}`, true},
	{`{"query":"Зеленський «мир» 😀"}`, true},
	// encoding/json's ground: escapes, other spellings, unknown and
	// repeated members, trailing data, malformed bodies.
	{`{"query":"{ a(s: \"x\") }"}`, false},
	{`{"query":"\u0041"}`, false},
	{`{"Query":"{ a }"}`, false},
	{`{"queRY":"{ a }","query":"{ b }"}`, false},
	{`{"query":"{ a }","query":"{ b }"}`, false},
	{`{"query":"{ a }","variables":{"a":1},"variables":{"b":2}}`, false},
	{`{"query":"{ a }","other":1}`, false},
	{`{"query":"{ a }"} trailing`, false},
	{`{"query":"{ a }"}{"query":"{ b }"}`, false},
	{`{"query":"a` + "\xff" + `b"}`, false},
	{`{"query":"a` + "\n" + `b"}`, false},
	{`{"query":1}`, false},
	{`{"variables":[1]}`, false},
	{`{"variables":{"a":}}`, false},
	{`{"query":"{ a }",}`, false},
	{`{"query":"{ a }"`, false},
	{`[{"query":"{ a }"}]`, false},
	{`"query"`, false},
	{``, false},
}

func TestDecodeParamsMatchesEncodingJSON(t *testing.T) {
	for _, c := range paramsCases {
		var fast graphql.RawParams
		if got := fastParams([]byte(c.body), &fast); got != c.fast {
			t.Errorf("%s: fast path taken %v, want %v", c.body, got, c.fast)
		}
		checkParams(t, []byte(c.body))
	}
}

// checkParams wants decodeParams to give encoding/json's result and
// error-ness for body.
func checkParams(t *testing.T, body []byte) {
	t.Helper()
	want, wantErr := slowParams(body)
	var got graphql.RawParams
	err := decodeParams(body, &got)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%q: error %v, encoding/json says %v", body, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: decoded %#v, encoding/json decodes %#v", body, got, want)
	}
}

func FuzzDecodeParams(f *testing.F) {
	for _, c := range paramsCases {
		f.Add([]byte(c.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkParams(t, body) })
}

func BenchmarkDecodeParams(b *testing.B) {
	body := []byte(`{"query":"query Q5($id: ID!) { statement(id: $id) { id text kind saidOn { value } speaker { key name } topics { key name } } }","variables":{"id":"U3RhdGVtZW50OjEyMzQ1Ng"}}`)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p graphql.RawParams
			if err := decodeParams(body, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := slowParams(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
