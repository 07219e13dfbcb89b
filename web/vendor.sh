#!/bin/sh
# vendor.sh refreshes the playground's browser bundles in web/assets from the
# npm registry, so that the playground works without internet access.
#
# Usage: web/vendor.sh        (from anywhere; needs npm and openssl)
#
# To move to new versions, change the versions below and the matching
# constants in web/web.go, run this script, then `go test ./web`. The page's
# Subresource Integrity hashes are computed from the embedded bytes when the
# program starts, so no hash is kept in Go code; the script prints them so
# they can be compared with the ones gqlgen's playground uses for its CDN.
set -eu

GRAPHIQL=4.1.2
REACT=18.2.0
EXPLORER=4.0.6
# graphiql-explorer is bundled inside the explorer plugin's UMD build; only
# its licence is vendored.
GRAPHIQL_EXPLORER=0.9.0

web=$(cd "$(dirname "$0")" && pwd)
assets=$web/assets
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# fetch SPEC DIR: npm pack verifies the tarball against the registry's
# integrity hash; the package is unpacked into $work/DIR.
fetch() {
	(cd "$work" && npm pack --silent "$1" >"$2.name")
	mkdir -p "$work/$2"
	tar -xzf "$work/$(cat "$work/$2.name")" -C "$work/$2"
}

# put DIR FILE...: copy package files into assets/DIR, keeping their paths.
put() {
	dir=$1
	shift
	for f in "$@"; do
		mkdir -p "$assets/$dir/$(dirname "$f")"
		cp "$work/$dir/package/$f" "$assets/$dir/$f"
	done
}

fetch "graphiql@$GRAPHIQL" "graphiql-$GRAPHIQL"
fetch "react@$REACT" "react-$REACT"
fetch "react-dom@$REACT" "react-dom-$REACT"
fetch "@graphiql/plugin-explorer@$EXPLORER" "graphiql-plugin-explorer-$EXPLORER"
fetch "graphiql-explorer@$GRAPHIQL_EXPLORER" "graphiql-explorer-$GRAPHIQL_EXPLORER"

# Old versions go: the assets directory holds exactly what the page uses.
mkdir -p "$assets"
find "$assets" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +

put "graphiql-$GRAPHIQL" graphiql.min.js graphiql.min.css LICENSE
put "react-$REACT" umd/react.production.min.js LICENSE
put "react-dom-$REACT" umd/react-dom.production.min.js LICENSE
put "graphiql-plugin-explorer-$EXPLORER" dist/index.umd.js dist/style.css

# The explorer plugin's tarball ships no licence file. Its package.json says
# MIT and it lives in the graphiql monorepo, whose LICENSE applies; the
# graphiql-explorer code bundled into it carries its own MIT licence.
d=$assets/graphiql-plugin-explorer-$EXPLORER
grep -q '"license": "MIT"' "$work/graphiql-plugin-explorer-$EXPLORER/package/package.json"
cp "$work/graphiql-$GRAPHIQL/package/LICENSE" "$d/LICENSE"
cp "$work/graphiql-explorer-$GRAPHIQL_EXPLORER/package/LICENSE" "$d/LICENSE.graphiql-explorer"

cd "$assets"
find . -type f -name '*.js' -o -type f -name '*.css' | sort | while read -r f; do
	printf '%s sha256-%s\n' "${f#./}" "$(openssl dgst -sha256 -binary "$f" | base64)"
done
