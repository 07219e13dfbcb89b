package client

import (
	"encoding/json"
	"reflect"
	"testing"
)

// The request body is built by hand from the file's lines; it must be the
// JSON a GraphQL server expects, with each line as one input record.
func TestRequestBody(t *testing.T) {
	batch := []line{
		{1, json.RawMessage(`{"text":"a","kind":"QUOTE"}`)},
		{3, json.RawMessage(`{ "text" : "b \"quoted\" \u00e9" , "topics":[ ] }`)},
	}
	for _, tc := range []struct {
		name  string
		batch []line
		opts  map[string]any
	}{
		{"records", batch, map[string]any{"atomic": false, "sequence": &sequence{Stream: "s", Seq: 2}}},
		{"empty", nil, map[string]any{"dryRun": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, err := requestBody(tc.batch, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Query     string
				Variables struct {
					Input   []map[string]any
					Options map[string]any
				}
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			if got.Query != ImportMutation {
				t.Errorf("query %q", got.Query)
			}
			if len(got.Variables.Input) != len(tc.batch) {
				t.Fatalf("%d input records, want %d", len(got.Variables.Input), len(tc.batch))
			}
			for i, l := range tc.batch {
				var want map[string]any
				if err := json.Unmarshal(l.raw, &want); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got.Variables.Input[i], want) {
					t.Errorf("record %d: %v, want %v", i, got.Variables.Input[i], want)
				}
			}
			wantOpts := map[string]any{}
			b, _ := json.Marshal(tc.opts)
			_ = json.Unmarshal(b, &wantOpts)
			if !reflect.DeepEqual(got.Variables.Options, wantOpts) {
				t.Errorf("options %v, want %v", got.Variables.Options, wantOpts)
			}
		})
	}
}
