package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is the release, set at link time:
//
//	go build -ldflags "-X main.version=v1.2.0"
//
// Without it the module version recorded by the go command is used
// ("(devel)" for a build from a checkout).
var version string

// buildInfo says which build is running.
type buildInfo struct {
	Version   string `json:"version"`
	Revision  string `json:"revision,omitempty"` // VCS commit, when built from a checkout
	Time      string `json:"time,omitempty"`     // commit time
	Modified  bool   `json:"modified,omitempty"` // the checkout had uncommitted changes
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

func readBuildInfo() buildInfo {
	bi := buildInfo{Version: version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		if bi.Version == "" {
			bi.Version = "unknown"
		}
		return bi
	}
	if bi.Version == "" {
		bi.Version = info.Main.Version
	}
	if bi.Version == "" {
		bi.Version = "(devel)"
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			bi.Revision = s.Value
		case "vcs.time":
			bi.Time = s.Value
		case "vcs.modified":
			bi.Modified = s.Value == "true"
		}
	}
	return bi
}

// String is the one-line form: "parley v1.2.0 (1a2b3c4d5e6f, 2025-12-01T10:00:00Z) go1.26.0 linux/amd64".
func (b buildInfo) String() string {
	s := "parley " + b.Version
	if b.Revision != "" {
		rev := b.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if b.Modified {
			rev += "+modified"
		}
		s += " (" + rev
		if b.Time != "" {
			s += ", " + b.Time
		}
		s += ")"
	}
	return s + " " + b.GoVersion + " " + b.Platform
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", `Usage: parley version [--json]

Print the version, commit and Go version of this build.
`, stderr)
	asJSON := fs.Bool("json", false, "print as a JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "parley version: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	bi := readBuildInfo()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(bi)
	}
	_, err := fmt.Fprintln(stdout, bi)
	return err
}
