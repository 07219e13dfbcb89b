package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"time"
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

// The floor is served in a process of its own (ServeFloor, run as parley
// bench floor and started by StartFloor), as the server under test is.
// Served inside the load client's process, the floor shares one Go
// runtime with the client: a response wakes the goroutine waiting for it
// in the same process, while any real server's response wakes another
// process. On this 2-core machine that made the in-client floor answer
// 1.4 to 1.6 times as many requests per second as the same handler in its
// own process (docs/benchmarks.md), so every ratio measured against it
// compared the server with a floor no server process can reach.

// ServeFloor serves the floor on ln until ctx ends.
func ServeFloor(ctx context.Context, ln net.Listener) error {
	s := serve(ln, floorHandler())
	select {
	case err := <-s.done:
		return err
	case <-ctx.Done():
		s.stop()
		return nil
	}
}

// floorStartTimeout bounds how long StartFloor waits for the floor
// process to say where it listens.
const floorStartTimeout = 10 * time.Second

// StartFloor starts cmd, a process that serves the floor and writes its
// base URL (http://host:port) as the first line of its standard output,
// and stops serving when its standard input closes (parley bench floor
// --until-eof). It returns the URL, and stop, which ends the process and
// waits for it. Its standard input is a pipe that only this process
// holds, so the floor cannot outlive the load run even if it is killed.
func StartFloor(cmd *exec.Cmd) (url string, stop func(), err error) {
	in, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("bench: starting the floor server: %w", err)
	}
	stop = func() {
		in.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(s)
		_, _ = io.Copy(io.Discard, out) // nothing more is expected; never block the floor
	}()
	select {
	case url = <-line:
	case <-time.After(floorStartTimeout):
	}
	if !strings.HasPrefix(url, "http://") {
		stop()
		return "", nil, errors.New("bench: the floor server did not say where it listens (want http://host:port on its first line)")
	}
	return url, stop, nil
}
