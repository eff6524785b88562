#!/usr/bin/env bash
# Builds the server programs the stack pins, from their Go modules (the Go module proxy is the only
# source), into a cache folder outside the repository:
#
#   ${PROMEMU_CACHE_DIR:-$HOME/.cache/promemu}/servers/bin/
#     prometheus, promtool         github.com/prometheus/prometheus   (v0.3MM.P = Prometheus 3.MM.P)
#     alertmanager, amtool         github.com/prometheus/alertmanager
#     pushgateway                  github.com/prometheus/pushgateway
#     victoria-logs                github.com/VictoriaMetrics/VictoriaLogs (app/victoria-logs; the log store)
#     thanos                       github.com/thanos-io/thanos (cmd/thanos: receive, query; only when asked for)
#
# The versions are not written here (Thanos excepted, see thanos_version): they are the image pins of the stack's settings (the defaults of
# `prometheus.image`, `alertmanager.image`, `pushgateway.image` and LOG_STORE_IMAGES.victorialogs in
# config/settings.ts), so the tests and
# the local images always run what `pulumi up` runs. `--print-versions` shows what that gives.
#
# Usage: scripts/servers/build.sh [--print-versions] [prometheus|alertmanager|pushgateway|victorialogs|thanos ...]
#   (default: all four; thanos only when named). Each program is built from a wrapper module made in the cache (go.mod
#   requiring the server's module at the pinned version, with the server's own replace and exclude
#   lines copied, since Go ignores them in a dependency), stamped with its version the way upstream's
#   release builds do (-X github.com/prometheus/common/version.*). A program whose stamp matches is not
#   rebuilt: a second run takes well under a second.
#
# Output: progress on stderr; the last line on stdout is `PROMEMU_SERVERS_BIN=<dir>`, printed even when
# something failed. Exit status: 0 when every requested program is in the bin folder, 3 when some could
# not be built (each named with its module@version), 2 on a usage error.
#
# Environment: PROMEMU_CACHE_DIR (cache root), GOCACHE (default <cache root>/go-build, shared with the
# Pulumi toolchain build), PROMEMU_SERVERS_FORCE=1 (rebuild even if stamped).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${PROMEMU_CACHE_DIR:-$HOME/.cache/promemu}"
root="$cache/servers"
bin_dir="$root/bin"
stamp_dir="$bin_dir/.stamps"
work_dir="$root/build"
log_dir="$root/logs"
settings="$repo/config/settings.ts"

say() { printf '[servers] %s\n' "$*" >&2; }

# Thanos is no part of the stack (no image pin to read): the distributed-receive test and bench use it, so its
# version lives here, and it is built only when named (`build.sh thanos`). v0.42.4 is the newest release whose
# go.mod asks for no newer Go than this machine's 1.26.8 (v0.42.5 says `go 1.26.10`), so GOTOOLCHAIN=local builds it.
thanos_version=v0.42.4

# The pinned tag of VictoriaLogs' image in the settings: victorialogs: "victoriametrics/victoria-logs:v1.52.2" -> v1.52.2.
pinned_victorialogs_tag() {
  local tag
  tag="$(sed -n 's|.*victorialogs: "victoriametrics/victoria-logs:\(v[0-9][0-9.]*\)".*|\1|p' "$settings" | head -n 1)"
  [ -n "$tag" ] || { say "no pinned victoriametrics/victoria-logs image found in $settings (expected victorialogs: \"victoriametrics/victoria-logs:vX.Y.Z\")"; exit 2; }
  printf '%s' "$tag"
}

# The pinned tag of an image in the settings' defaults: image("prom/prometheus:v3.5.0") -> v3.5.0.
pinned_tag() {
  local tag
  tag="$(sed -n "s|.*image(\"prom/$1:\\(v[0-9][0-9.]*\\)\").*|\\1|p" "$settings" | head -n 1)"
  [ -n "$tag" ] || { say "no pinned prom/$1 image found in $settings (expected image(\"prom/$1:vX.Y.Z\"))"; exit 2; }
  printf '%s' "$tag"
}

# server | module | module version | programs (package path below the module : binary name)
describe_server() {
  local tag
  case "$1" in
    prometheus)
      tag="$(pinned_tag prometheus)"
      # Prometheus 3.MM.P is published as the Go module version v0.3MM.P (major 3 -> 300 + minor).
      local rest="${tag#v}" major minor patch
      IFS=. read -r major minor patch <<<"$rest"
      printf '%s|%s|%s|%s\n' "$tag" github.com/prometheus/prometheus "v0.$((major * 100 + minor)).$patch" \
        "cmd/prometheus:prometheus cmd/promtool:promtool" ;;
    alertmanager)
      tag="$(pinned_tag alertmanager)"
      printf '%s|%s|%s|%s\n' "$tag" github.com/prometheus/alertmanager "$tag" "cmd/alertmanager:alertmanager cmd/amtool:amtool" ;;
    pushgateway)
      tag="$(pinned_tag pushgateway)"
      printf '%s|%s|%s|%s\n' "$tag" github.com/prometheus/pushgateway "$tag" ".:pushgateway" ;;
    thanos)
      printf '%s|%s|%s|%s\n' "$thanos_version" github.com/thanos-io/thanos "$thanos_version" "cmd/thanos:thanos" ;;
    victorialogs)
      tag="$(pinned_victorialogs_tag)"
      printf '%s|%s|%s|%s\n' "$tag" github.com/VictoriaMetrics/VictoriaLogs "$tag" "app/victoria-logs:victoria-logs" ;;
  esac
}

print_versions=0
wanted=()
for arg in "$@"; do
  case "$arg" in
    --print-versions) print_versions=1 ;;
    prometheus | alertmanager | pushgateway | victorialogs | thanos) wanted+=("$arg") ;;
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) say "unknown argument '$arg' (known: prometheus alertmanager pushgateway victorialogs thanos --print-versions)"; exit 2 ;;
  esac
done
[ ${#wanted[@]} -gt 0 ] || wanted=(prometheus alertmanager pushgateway victorialogs)

if [ "$print_versions" = 1 ]; then
  for w in "${wanted[@]}"; do
    IFS='|' read -r tag module version programs <<<"$(describe_server "$w")"
    printf '%s %s %s@%s\n' "$w" "$tag" "$module" "$version"
  done
  exit 0
fi

command -v go >/dev/null || { say "go is not on PATH: the servers are built from Go modules (install Go 1.23 or newer)"; echo "PROMEMU_SERVERS_BIN=$bin_dir"; exit 3; }
mkdir -p "$bin_dir" "$stamp_dir" "$work_dir" "$log_dir"
# One run at a time per cache folder (two runs would share build/ and bin/).
if command -v flock >/dev/null; then
  exec 9>"$root/.lock"
  flock -n 9 || { say "another build.sh is using $root; waiting for it"; flock 9; }
fi
export GOFLAGS="-mod=mod"
export CGO_ENABLED=0
export GOCACHE="${GOCACHE:-$cache/go-build}"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
go_version="$(go env GOVERSION)"

# The wrapper module: requires the server's module and copies its replace and exclude directives.
write_wrapper() {
  local dir="$1" module="$2" version="$3" programs="$4" upstream_mod p
  rm -rf "$dir" && mkdir -p "$dir"
  upstream_mod="$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
  [ -f "$upstream_mod" ] || return 1
  # Go 1.24 at least (tool lines), or the server's own go line when it asks for more (VictoriaLogs: 1.26).
  local go_line
  go_line="$(printf '1.24\n%s\n' "$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$upstream_mod" | head -n 1)" | sort -V | tail -n 1)"
  {
    printf '// Made by scripts/servers/build.sh: builds %s at %s.\n' "$module" "$version"
    printf 'module promemu.local/servers/%s\n\ngo %s\n\nrequire %s %s\n' "$(basename "$module")" "$go_line" "$module" "$version"
    # Single-line and block forms of replace/exclude, as written in the upstream go.mod.
    awk '/^(replace|exclude) \(/ { block = 1 } block { print; if ($0 ~ /^\)/) block = 0; next }
         /^(replace|exclude) / { print }' "$upstream_mod"
    # The programs as tool lines: module + "/" + package path ("." = the module's own main package).
    for p in $programs; do
      if [ "${p%%:*}" = "." ]; then printf 'tool %s\n' "$module"; else printf 'tool %s/%s\n' "$module" "${p%%:*}"; fi
    done
  } >"$dir/go.mod"
}

stamp_of() { printf '%s %s %s %s\n' "$1" "$2" "$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)" "$go_version"; }

build_server() {
  local name="$1" tag module version programs
  IFS='|' read -r tag module version programs <<<"$(describe_server "$name")"
  local stamp p pkg out all_current=1
  stamp="$(stamp_of "$module@$version" "$tag")"
  for p in $programs; do
    out="${p##*:}"
    if [ -n "${PROMEMU_SERVERS_FORCE:-}" ] || [ ! -x "$bin_dir/$out" ] || [ "$(cat "$stamp_dir/$out" 2>/dev/null)" != "$stamp" ]; then all_current=0; fi
  done
  if [ "$all_current" = 1 ]; then
    say "$name $tag ($module@$version): up to date in $bin_dir"
    return 0
  fi
  local dir="$work_dir/$name" log="$log_dir/$name.log" t0=$SECONDS
  : >"$log"
  say "$name $tag: fetching $module@$version"
  if ! write_wrapper "$dir" "$module" "$version" "$programs" 2>>"$log"; then
    tail -n 5 "$log" >&2
    say "$name: FAILED: module $module@$version cannot be had from the Go module proxy (log: $log)"
    return 1
  fi
  local ldflags="-s -w"
  # netgo: the pure-Go resolver, as upstream's release builds (no cgo here anyway). Thanos' release builds add
  # slicelabels (its .promu.yml): its zero-copy label types assume Prometheus' slice layout of labels.Labels, and
  # without the tag a receiver panics on its first Store API call.
  local tags="netgo"
  [ "$name" = thanos ] && tags+=",slicelabels"
  if [ "$name" = victorialogs ]; then
    # VictoriaMetrics' own version stamp (lib/buildinfo), as its release builds set it.
    ldflags+=" -X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=victoria-logs-$tag-promemu"
  else
    ldflags+=" -X github.com/prometheus/common/version.Version=${tag#v}"
    ldflags+=" -X github.com/prometheus/common/version.Revision=$module@$version"
    ldflags+=" -X github.com/prometheus/common/version.Branch=HEAD"
    ldflags+=" -X github.com/prometheus/common/version.BuildUser=promemu@scripts/servers/build.sh"
  fi
  for p in $programs; do
    pkg="${p%%:*}"; out="${p##*:}"
    [ "$pkg" = "." ] && pkg="$module" || pkg="$module/$pkg"
    say "$name $tag: building $out ($pkg; log: $log)"
    if ! (cd "$dir" && nice -n 10 go build -trimpath -tags "$tags" -ldflags "$ldflags" -o "$bin_dir/$out.tmp" "$pkg") >>"$log" 2>&1; then
      tail -n 15 "$log" >&2
      say "$name: FAILED to build $out from $module@$version; full log in $log"
      rm -f "$bin_dir/$out.tmp"
      return 1
    fi
    mv -f "$bin_dir/$out.tmp" "$bin_dir/$out"
    stamp_of "$module@$version" "$tag" >"$stamp_dir/$out"
  done
  say "$name $tag: built in $((SECONDS - t0))s ($(cd "$bin_dir" && for p in $programs; do printf '%s %s  ' "${p##*:}" "$(du -h "${p##*:}" | cut -f1)"; done))"
}

failed=()
for w in "${wanted[@]}"; do
  build_server "$w" || failed+=("$w")
done
[ ${#failed[@]} -eq 0 ] || say "not built: ${failed[*]} (see above); the bin folder holds the others"
echo "PROMEMU_SERVERS_BIN=$bin_dir"
[ ${#failed[@]} -eq 0 ] || exit 3
