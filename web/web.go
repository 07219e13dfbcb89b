// Package web serves Parley's GraphiQL playground. The browser bundles it
// needs (GraphiQL, React, the explorer plugin) are vendored from the npm
// registry into assets/ and embedded in the binary, so the playground works
// with no internet access; see assets/README.md.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/playground"
)

// The bundles the page loads, as paths inside assets/. The directory names
// carry the npm versions; vendor.sh writes them and must agree with these.
const (
	graphiqlJS  = "graphiql-4.1.2/graphiql.min.js"
	graphiqlCSS = "graphiql-4.1.2/graphiql.min.css"
	reactJS     = "react-18.2.0/umd/react.production.min.js"
	reactDOMJS  = "react-dom-18.2.0/umd/react-dom.production.min.js"
	explorerJS  = "graphiql-plugin-explorer-4.0.6/dist/index.umd.js"
	explorerCSS = "graphiql-plugin-explorer-4.0.6/dist/style.css"
)

// assetDir is where the page finds its assets, relative to the page itself
// so that the handler also works mounted under a prefix.
const assetDir = "assets/"

//go:embed assets
var embedded embed.FS

// An asset is an embedded file ready to serve.
type asset struct {
	data        []byte
	contentType string
	integrity   string // Subresource Integrity: "sha256-" and the base64 digest
	etag        string
}

// assets holds every servable file by its path inside assets/. Hashing the
// embedded bytes once at start-up, rather than keeping hashes in code, means
// the page's integrity attributes can never disagree with what is served.
var assets = loadAssets(embedded)

func loadAssets(fsys fs.FS) map[string]asset {
	root, err := fs.Sub(fsys, "assets")
	if err != nil {
		panic(err)
	}
	m := make(map[string]asset)
	err = fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		// Only files inside a package directory are served: their URLs
		// carry a version and may be cached for ever. The README at the
		// top is for people reading the repository.
		if err != nil || d.IsDir() || !strings.Contains(name, "/") {
			return err
		}
		data, err := fs.ReadFile(root, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		m[name] = asset{
			data:        data,
			contentType: contentType(name),
			integrity:   "sha256-" + base64.StdEncoding.EncodeToString(sum[:]),
			etag:        `"` + hex.EncodeToString(sum[:16]) + `"`,
		}
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("web: reading embedded assets: %v", err))
	}
	return m
}

// contentType is fixed per extension rather than taken from package mime,
// which consults the host's mime.types: served with nosniff, a script under
// any type a distribution chose would refuse to run.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	}
	return "text/plain; charset=utf-8" // the LICENSE files
}

// Handler returns the GraphiQL playground for the GraphQL endpoint at
// endpoint: an absolute path such as "/graphql" on the same server, or a
// full URL. It serves the page at "/" and its assets under "/assets/", and
// answers 404 for anything else, so it is meant to be mounted at "/" of a
// mux that routes the endpoint itself first. The page refers to its assets
// by relative URL, so mounting it under a prefix with http.StripPrefix works
// too.
//
// The page loads nothing from other origins: each script and stylesheet
// comes from the embedded assets with an integrity hash of its bytes.
func Handler(endpoint string) http.Handler {
	page := playground.Handler("Parley", endpoint,
		playground.WithGraphiqlVersion(assetURL(graphiqlJS), assetURL(graphiqlCSS), integrity(graphiqlJS), integrity(graphiqlCSS)),
		playground.WithGraphiqlReactVersion(assetURL(reactJS), assetURL(reactDOMJS), integrity(reactJS), integrity(reactDOMJS)),
		playground.WithGraphiqlPluginExplorerVersion(assetURL(explorerJS), assetURL(explorerCSS), integrity(explorerJS), integrity(explorerCSS)),
		playground.WithGraphiqlEnablePluginExplorer(true),
	)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		// The page names the asset versions: browsers must revalidate it so
		// that an upgraded binary's page, and its assets, are picked up.
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		page(w, r)
	})
	mux.HandleFunc("GET /"+assetDir+"{file...}", serveAsset)
	return mux
}

func serveAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := assets[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", a.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	// ServeContent answers HEAD, Range and If-None-Match against the ETag.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.data))
}

func assetURL(name string) string { return assetDir + name }

// integrity returns the Subresource Integrity value of an embedded asset.
// The asset names are constants that vendor.sh must have written, so a
// missing one is a broken build, reported as plainly as possible.
func integrity(name string) string {
	a, ok := assets[name]
	if !ok {
		panic("web: embedded asset " + name + " is missing; run web/vendor.sh")
	}
	return a.integrity
}
