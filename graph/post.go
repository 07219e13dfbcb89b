package graph

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"parley/auth"
	"parley/domain"
)

// Media types of a GraphQL-over-HTTP response.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// postJSON is the POST transport: gqlgen's transport.POST with the
// GraphQL-over-HTTP details that transport.POST gets wrong fixed in place
// (a request that fails before execution has no "data" entry in an
// application/graphql-response+json body), and a response writer that
// does not re-encode the result. transport.POST writes the response
// with encoding/json, which re-scans and compacts the whole "data" text
// that the executor has just written compactly: a quarter of the server's
// time on a page of statements (docs/benchmarks.md). With direct set, it
// answers the plain reads that direct.go covers without the executor.
type postJSON struct{ direct *direct }

var _ graphql.Transport = postJSON{}

// Supports implements graphql.Transport: a POST with a JSON body that is
// not a WebSocket upgrade.
func (postJSON) Supports(r *http.Request) bool {
	if r.Method != http.MethodPost || auth.IsWebSocket(r) {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == mediaJSON
}

// Do implements graphql.Transport.
func (t postJSON) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	media := responseMedia(r.Header.Get("Accept"))
	w.Header().Set("Content-Type", media)
	start := graphql.Now()

	var params graphql.RawParams
	body, err := bodyBytes(r.Body)
	if err == nil {
		err = decodeParams(body, &params)
	}
	if err != nil {
		// The server's body check has already refused malformed JSON
		// with a precise message; this is the transport's own guard.
		w.WriteHeader(http.StatusBadRequest)
		resp := exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("the request body is not a GraphQL request object")})
		writeResponse(w, resp, media == mediaGraphQLResponse)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	oc, errs := exec.CreateOperationContext(ctx, &params)
	if errs != nil {
		status := http.StatusOK
		if errcode.GetErrorKind(errs) == errcode.KindProtocol {
			// A document that does not parse or validate.
			status = http.StatusUnprocessableEntity
			if media == mediaGraphQLResponse {
				status = http.StatusBadRequest
			}
		}
		w.WriteHeader(status)
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs)
		writeResponse(w, resp, media == mediaGraphQLResponse && status >= 400)
		return
	}
	if t.direct != nil && t.direct.serve(ctx, w, oc) {
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, oc)
	resp := responses(ctx)
	if resp == nil {
		// gqlgen runs nothing for a request whose context has already
		// ended: the client went away, or the deadline passed (then the
		// deadline's writer answers in place of this).
		resp = &graphql.Response{Errors: gqlerror.List{codedError(domain.CodeInternal, nil, "the request ended before it ran: "+ctx.Err().Error())}}
	}
	writeResponse(w, resp, false)
}

// responseMedia picks the response's media type from the Accept header
// as gqlgen's transports do: the first acceptable listed type;
// application/json when the client states no preference.
func responseMedia(accept string) string {
	if accept == "" {
		return mediaJSON
	}
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "*/*", "application/*", mediaJSON:
			return mediaJSON
		case mediaGraphQLResponse:
			return mediaGraphQLResponse
		}
	}
	return mediaGraphQLResponse
}

// writeResponse writes resp as encoding/json would lay out a
// graphql.Response, except that the result data, which the executor wrote
// as compact JSON, is written as it is, without a copy. omitData leaves
// "data" out, for a request that never executed.
func writeResponse(w http.ResponseWriter, resp *graphql.Response, omitData bool) {
	members := 0
	add := func(b []byte, name string, v any) []byte {
		enc, err := json.Marshal(v)
		if err != nil {
			// Errors, paths and extensions are strings, numbers and maps
			// the server built itself.
			panic(fmt.Errorf("graph: encoding the response's %s: %w", name, err))
		}
		if members > 0 {
			b = append(b, ',')
		}
		members++
		b = append(b, `"`+name+`":`...)
		return append(b, enc...)
	}
	head := []byte{'{'}
	if len(resp.Errors) > 0 {
		head = add(head, "errors", resp.Errors)
	}
	data := resp.Data
	if !omitData {
		if members > 0 {
			head = append(head, ',')
		}
		members++
		head = append(head, `"data":`...)
		if len(data) == 0 {
			data = []byte("null")
		}
	}
	var tail []byte
	if resp.Label != "" {
		tail = add(tail, "label", resp.Label)
	}
	if resp.Path != nil {
		tail = add(tail, "path", resp.Path)
	}
	if resp.HasNext != nil {
		tail = add(tail, "hasNext", *resp.HasNext)
	}
	if len(resp.Extensions) > 0 {
		tail = add(tail, "extensions", resp.Extensions)
	}
	tail = append(tail, '}')
	// With its length declared, net/http sends the answer as it is
	// rather than in chunks once it passes 2 KB.
	n := len(head) + len(tail)
	if !omitData {
		n += len(data)
	}
	w.Header().Set("Content-Length", strconv.Itoa(n))
	w.Write(head)
	if !omitData {
		w.Write(data)
	}
	w.Write(tail)
}
