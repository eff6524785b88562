#!/usr/bin/env bash
# Builds VictoriaLogs (Apache-2.0; accepts the Loki push API) from its Go module, for the tests of the
# emulator's log sink (tests/emulator/logs-*.test.ts). Loki itself is AGPL and is never built here.
#
#   ${PROMEMU_CACHE_DIR:-$HOME/.cache/promemu}/servers/bin/victoria-logs
#     github.com/VictoriaMetrics/VictoriaLogs@v1.52.2, package app/victoria-logs
#
# Same conventions as scripts/servers/build.sh (and self-contained, so either can change alone): a
# wrapper module in the cache requiring the module at the pinned version (its replace/exclude lines
# copied: Go ignores them in a dependency), GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local, GOCACHE
# <cache root>/go-build, `nice`, a stamp: a second run takes well under a second.
#
# Usage: scripts/servers/build-victorialogs.sh [--print-version]
# Output: progress on stderr; the last line on stdout is `PROMEMU_VICTORIALOGS=<path of the binary>`,
# printed even when the build failed. Exit status: 0 built (or up to date), 3 not built (the
# module@version named), 2 on a usage error.
# Environment: PROMEMU_CACHE_DIR, GOCACHE, PROMEMU_VICTORIALOGS_VERSION (default v1.52.2),
# PROMEMU_SERVERS_FORCE=1 (rebuild even if stamped).
set -euo pipefail

module=github.com/VictoriaMetrics/VictoriaLogs
version="${PROMEMU_VICTORIALOGS_VERSION:-v1.52.2}"
cache="${PROMEMU_CACHE_DIR:-$HOME/.cache/promemu}"
root="$cache/servers"
bin_dir="$root/bin"
stamp_dir="$bin_dir/.stamps"
dir="$root/build/victorialogs"
log="$root/logs/victorialogs.log"
out="$bin_dir/victoria-logs"

say() { printf '[victorialogs] %s\n' "$*" >&2; }
result() { echo "PROMEMU_VICTORIALOGS=$out"; }

for arg in "$@"; do
  case "$arg" in
    --print-version) printf 'victorialogs %s@%s\n' "$module" "$version"; exit 0 ;;
    -h | --help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) say "unknown argument '$arg' (known: --print-version)"; exit 2 ;;
  esac
done

command -v go >/dev/null || { say "go is not on PATH: VictoriaLogs is built from its Go module $module@$version (Go 1.26 or newer)"; result; exit 3; }
mkdir -p "$bin_dir" "$stamp_dir" "$(dirname "$dir")" "$(dirname "$log")"
if command -v flock >/dev/null; then
  exec 9>"$root/.victorialogs.lock"
  flock -n 9 || { say "another build of VictoriaLogs is using $root; waiting for it"; flock 9; }
fi
export GOFLAGS="-mod=mod"
export CGO_ENABLED=0
export GOCACHE="${GOCACHE:-$cache/go-build}"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

stamp="$module@$version $(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16) $(go env GOVERSION)"
if [ -z "${PROMEMU_SERVERS_FORCE:-}" ] && [ -x "$out" ] && [ "$(cat "$stamp_dir/victoria-logs" 2>/dev/null)" = "$stamp" ]; then
  say "victoria-logs ($module@$version): up to date in $bin_dir"
  result
  exit 0
fi

t0=$SECONDS
: >"$log"
say "fetching $module@$version"
upstream_mod="$(go mod download -json "$module@$version" 2>>"$log" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' || true)"
if [ ! -f "$upstream_mod" ]; then
  tail -n 5 "$log" >&2
  say "FAILED: module $module@$version cannot be had from the Go module proxy (log: $log)"
  result
  exit 3
fi
go_line="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$upstream_mod" | head -n 1)"
rm -rf "$dir" && mkdir -p "$dir"
{
  printf '// Made by scripts/servers/build-victorialogs.sh: builds %s at %s.\n' "$module" "$version"
  printf 'module promemu.local/servers/victorialogs\n\ngo %s\n\nrequire %s %s\n' "${go_line:-1.26}" "$module" "$version"
  awk '/^(replace|exclude) \(/ { block = 1 } block { print; if ($0 ~ /^\)/) block = 0; next }
       /^(replace|exclude) / { print }' "$upstream_mod"
  printf 'tool %s/app/victoria-logs\n' "$module"
} >"$dir/go.mod"

say "building victoria-logs ($module/app/victoria-logs; log: $log)"
ldflags="-s -w -X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=victoria-logs-$version-promemu"
if ! (cd "$dir" && nice -n 10 go build -trimpath -tags netgo -ldflags "$ldflags" -o "$out.tmp" "$module/app/victoria-logs") >>"$log" 2>&1; then
  tail -n 15 "$log" >&2
  say "FAILED to build victoria-logs from $module@$version; full log in $log"
  rm -f "$out.tmp"
  result
  exit 3
fi
mv -f "$out.tmp" "$out"
printf '%s\n' "$stamp" >"$stamp_dir/victoria-logs"
say "built in $((SECONDS - t0))s ($(du -h "$out" | cut -f1))"
result
