package bench

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
)

// FloorBodySize is the size of the floor server's answer: about the size of
// a page of 20 statements with their speakers and topics.
const FloorBodySize = 4096

// floorBody is a valid GraphQL response of exactly FloorBodySize bytes.
var floorBody = func() []byte {
	const head, tail = `{"data":{"pad":"`, `"}}`
	return []byte(head + string(bytes.Repeat([]byte("x"), FloorBodySize-len(head)-len(tail))) + tail)
}()

// floorHandler is the floor: the least any server does for a POST, reading
// the body and writing a fixed JSON answer, with nothing behind it.
func floorHandler() http.Handler {
	size := strconv.Itoa(len(floorBody))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", size)
		_, _ = w.Write(floorBody)
	})
}
