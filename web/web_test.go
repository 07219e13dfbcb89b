package web

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	// tagRE finds the script and link tags of the page; the attributes of
	// gqlgen's template span several lines.
	tagRE  = regexp.MustCompile(`(?s)<(script|link)\b([^>]*)>`)
	attrRE = regexp.MustCompile(`([a-z-]+)="([^"]*)"`)
)

// pageAsset is a script or stylesheet the page loads.
type pageAsset struct {
	url, integrity string
}

func get(t *testing.T, u string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// loadPage fetches the page at base and returns the assets it loads.
func loadPage(t *testing.T, base string) []pageAsset {
	t.Helper()
	resp, body := get(t, base, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", base, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET %s: Content-Type %q, want text/html", base, ct)
	}
	page := string(body)
	// Nothing at all on the page may point at another origin: no asset, no
	// font, no endpoint (the endpoint under test is a path).
	for _, scheme := range []string{"http://", "https://"} {
		if strings.Contains(page, scheme) {
			t.Errorf("page contains %q", scheme)
		}
	}
	var assets []pageAsset
	for _, m := range tagRE.FindAllStringSubmatch(page, -1) {
		attrs := map[string]string{}
		for _, a := range attrRE.FindAllStringSubmatch(m[2], -1) {
			attrs[a[1]] = html.UnescapeString(a[2])
		}
		ref := attrs["src"]
		if m[1] == "link" {
			ref = attrs["href"]
		}
		if ref == "" {
			continue // the inline script
		}
		u, err := url.Parse(ref)
		if err != nil {
			t.Errorf("<%s> url %q: %v", m[1], ref, err)
			continue
		}
		if u.Scheme != "" || u.Host != "" || strings.HasPrefix(ref, "/") {
			t.Errorf("<%s> url %q is not relative to the page", m[1], ref)
		}
		if attrs["integrity"] == "" {
			t.Errorf("<%s> %s has no integrity attribute", m[1], ref)
		}
		assets = append(assets, pageAsset{ref, attrs["integrity"]})
	}
	return assets
}

func TestPageLoadsEveryBundleLocally(t *testing.T) {
	srv := httptest.NewServer(Handler("/graphql"))
	defer srv.Close()

	var got []string
	for _, a := range loadPage(t, srv.URL+"/") {
		got = append(got, a.url)
	}
	want := []string{graphiqlJS, graphiqlCSS, reactJS, reactDOMJS, explorerJS, explorerCSS}
	for i := range want {
		want[i] = assetDir + want[i]
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("page loads\n%q\nwant\n%q", got, want)
	}
}

func TestAssetsMatchTheirIntegrity(t *testing.T) {
	srv := httptest.NewServer(Handler("/graphql"))
	defer srv.Close()

	base, _ := url.Parse(srv.URL + "/")
	for _, a := range loadPage(t, base.String()) {
		t.Run(a.url, func(t *testing.T) {
			ref, _ := url.Parse(a.url)
			resp, body := get(t, base.ResolveReference(ref).String(), nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			sum := sha256.Sum256(body)
			if got := "sha256-" + base64.StdEncoding.EncodeToString(sum[:]); got != a.integrity {
				t.Errorf("served bytes hash to %s; the page declares %s", got, a.integrity)
			}
			want := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}[path.Ext(a.url)]
			if got := resp.Header.Get("Content-Type"); got != want {
				t.Errorf("Content-Type %q, want %q", got, want)
			}
			if got := resp.Header.Get("Cache-Control"); !strings.Contains(got, "immutable") {
				t.Errorf("Cache-Control %q, want a long-lived immutable asset", got)
			}
		})
	}
}

// The bundles must not pull anything from the network themselves: GraphiQL's
// fonts, for one, must be inlined.
func TestStylesheetsReferenceNoExternalURLs(t *testing.T) {
	urlRE := regexp.MustCompile(`(?i)url\(\s*["']?([^"')]*)`)
	imp := regexp.MustCompile(`(?i)@import`)
	for _, name := range []string{graphiqlCSS, explorerCSS} {
		css := string(assets[name].data)
		if css == "" {
			t.Fatalf("%s is not embedded", name)
		}
		if imp.MatchString(css) {
			t.Errorf("%s has an @import", name)
		}
		for _, m := range urlRE.FindAllStringSubmatch(css, -1) {
			if !strings.HasPrefix(m[1], "data:") && !strings.HasPrefix(m[1], "#") {
				t.Errorf("%s refers to %.60q", name, m[1])
			}
		}
	}
}

func TestResponses(t *testing.T) {
	srv := httptest.NewServer(Handler("/graphql"))
	defer srv.Close()

	js := assets[reactJS]
	tests := []struct {
		name   string
		method string
		path   string
		header http.Header
		status int
	}{
		{"page", "GET", "/", nil, http.StatusOK},
		{"page HEAD", "HEAD", "/", nil, http.StatusOK},
		{"page POST", "POST", "/", nil, http.StatusMethodNotAllowed},
		{"asset", "GET", "/assets/" + reactJS, nil, http.StatusOK},
		{"asset HEAD", "HEAD", "/assets/" + reactJS, nil, http.StatusOK},
		{"asset revalidated", "GET", "/assets/" + reactJS, http.Header{"If-None-Match": {js.etag}}, http.StatusNotModified},
		{"asset changed", "GET", "/assets/" + reactJS, http.Header{"If-None-Match": {`"stale"`}}, http.StatusOK},
		{"asset range", "GET", "/assets/" + reactJS, http.Header{"Range": {"bytes=0-9"}}, http.StatusPartialContent},
		{"licence", "GET", "/assets/react-18.2.0/LICENSE", nil, http.StatusOK},
		{"unknown asset", "GET", "/assets/react-18.2.0/umd/react.development.js", nil, http.StatusNotFound},
		{"other version", "GET", "/assets/react-17.0.2/umd/react.production.min.js", nil, http.StatusNotFound},
		{"asset directory", "GET", "/assets/react-18.2.0/", nil, http.StatusNotFound},
		{"asset root", "GET", "/assets/", nil, http.StatusNotFound},
		{"readme", "GET", "/assets/README.md", nil, http.StatusNotFound},
		{"source map", "GET", "/assets/" + graphiqlJS + ".map", nil, http.StatusNotFound},
		{"unknown path", "GET", "/graphiql", nil, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.header != nil {
				req.Header = tt.header
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
			}
		})
	}
}

// The page refers to its assets relative to itself, so a server may mount
// the playground under a prefix.
func TestMountedUnderPrefix(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/playground/", http.StripPrefix("/playground", Handler("/graphql")))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	base, _ := url.Parse(srv.URL + "/playground/")
	assets := loadPage(t, base.String())
	if len(assets) == 0 {
		t.Fatal("page loads no assets")
	}
	for _, a := range assets {
		ref, _ := url.Parse(a.url)
		u := base.ResolveReference(ref).String()
		if resp, _ := get(t, u, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", u, resp.StatusCode)
		}
	}
}
