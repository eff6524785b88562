#!/usr/bin/env bash
# Builds the Pulumi toolchain a user's `pulumi up` runs (the CLI, the Node.js language host, the docker and
# command providers) from Go sources, into a cache folder outside the repository:
#
#   ${PROMEMU_CACHE_DIR:-$HOME/.cache/promemu}/toolchain/bin/
#
# Usage: scripts/offline-toolchain/build.sh [COMPONENT...]
#   COMPONENT: pulumi, pulumi-language-nodejs, pulumi-resource-command, pulumi-resource-docker (default: all).
#   - pulumi (CLI v3.248.0): the wrapper module cli/ (pins pkg/v3 and sdk/v3 from the Go module proxy).
#   - the language host v3.248.0, command 1.2.1 and docker 5.2.0: their own modules are not served by the
#     Go module proxy, so they are built from the source archives in ../shared/vendor-src (PROMEMU_VENDOR_SRC),
#     checked against its SHA256SUMS and unpacked into the cache (never into the repository); every
#     dependency comes from the proxy. The build steps are those of vendor-src/README.md.
#   Each binary is stamped with its version (-ldflags -X). One whose stamp matches is not rebuilt, so a
#   second run takes a second or two.
#
# Output: progress on stderr; the last line on stdout is `PULUMI_TOOLCHAIN_BIN=<dir>`, printed even when
# some component failed, so that `eval "$(scripts/offline-toolchain/build.sh)"` works. Exit status: 0 when
# every requested component is in the bin folder, 3 when some could not be built (each named with what was
# missing: the module@version, or the archive), 2 on a usage error.
#
# Environment: PROMEMU_CACHE_DIR (cache root), PROMEMU_VENDOR_SRC (the archives' folder), GOCACHE (default
# <cache root>/go-build, shared with scripts/servers/build.sh), PROMEMU_TOOLCHAIN_FORCE=1 (rebuild).
# See README.md beside this file.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${PROMEMU_CACHE_DIR:-$HOME/.cache/promemu}"
cache_root="$cache/toolchain"
bin_dir="$cache_root/bin"
stamp_dir="$bin_dir/.stamps"
work_dir="$cache_root/build"
log_dir="$cache_root/logs"
vendor_src="${PROMEMU_VENDOR_SRC:-$repo/../shared/vendor-src}"

say() { printf '[offline-toolchain] %s\n' "$*" >&2; }

# --- what is built --------------------------------------------------------------------------------
# name | version stamped | source (wrapper folder here, or vendor archive) | -X variable
components=(
  "pulumi|v3.248.0|wrapper:cli|github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"
  "pulumi-language-nodejs|v3.248.0|vendor:pulumi-language-nodejs-3.248.0-a88168d8.tar.xz|github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"
  "pulumi-resource-command|1.2.1|vendor:pulumi-command-provider-1.2.1-7f3eb6f3.tar.xz|github.com/pulumi/pulumi-command/provider/pkg/version.Version"
  "pulumi-resource-docker|5.2.0|vendor:pulumi-docker-provider-5.2.0-237b7899.tar.xz|github.com/pulumi/pulumi-docker/provider/v5/pkg/version.Version"
)
known_names() { local c; for c in "${components[@]}"; do printf '%s ' "${c%%|*}"; done; }

wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || read -r -a wanted <<<"$(known_names)"
for w in "${wanted[@]}"; do
  case " $(known_names)" in
    *" $w "*) ;;
    *) say "unknown component '$w' (known: $(known_names))"; exit 2 ;;
  esac
done

if ! command -v go >/dev/null; then
  say "go is not on PATH: the toolchain is built from Go modules (install Go 1.25 or newer)"
  echo "PULUMI_TOOLCHAIN_BIN=$bin_dir"; exit 3
fi
mkdir -p "$bin_dir" "$stamp_dir" "$work_dir" "$log_dir"
# One run at a time per cache folder (two runs would share build/ and bin/).
if command -v flock >/dev/null; then
  exec 9>"$cache_root/.lock"
  flock -n 9 || { say "another build.sh is using $cache_root; waiting for it"; flock 9; }
fi
export GOFLAGS="-mod=mod"
export CGO_ENABLED=0
export GOCACHE="${GOCACHE:-$cache/go-build}"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
go_version="$(go env GOVERSION)"

# --- sources --------------------------------------------------------------------------------------
# The checksum SHA256SUMS gives an archive, after checking the file against it; fails naming what is missing.
archive_sum() {
  local archive="$1" sums="$vendor_src/SHA256SUMS" want
  if [ ! -d "$vendor_src" ]; then
    say "the plugin sources are missing: no folder $vendor_src (set PROMEMU_VENDOR_SRC to the folder with $archive and SHA256SUMS)"
    return 1
  fi
  [ -f "$sums" ] || { say "$sums is missing (it lists the archives' checksums)"; return 1; }
  [ -f "$vendor_src/$archive" ] || { say "$vendor_src/$archive is missing"; return 1; }
  want="$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$sums")"
  [ -n "$want" ] || { say "$sums has no line for $archive"; return 1; }
  [ "$(sha256sum "$vendor_src/$archive" | cut -d' ' -f1)" = "$want" ] || {
    say "$vendor_src/$archive does not match its checksum in $sums: refusing to build from it"; return 1; }
  printf '%s' "$want"
}

# Unpacks an archive into build/<name>-<sum>/ (once; the folder is made aside, then renamed into place).
unpack() {
  local name="$1" archive="$2" sum="$3" dst="$work_dir/$1-${3:0:16}"
  if [ ! -f "$dst/.unpacked" ]; then
    rm -rf "$dst" "$dst.tmp" && mkdir -p "$dst.tmp"
    tar -xJf "$vendor_src/$archive" -C "$dst.tmp"
    : >"$dst.tmp/.unpacked"
    mv "$dst.tmp" "$dst"
  fi
  printf '%s' "$dst"
}

# --- per component: where to build and what to prepare (the steps of vendor-src/README.md) ----------
# Each prints "<module folder>|<package>|<extra build flags>" after preparing the folder.
prepare_pulumi() {
  local dst="$work_dir/cli"
  rm -rf "$dst" && mkdir -p "$dst" && cp -R "$here/cli/." "$dst/"
  printf '%s|%s|%s' "$dst" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ""
}
prepare_pulumi-language-nodejs() {
  local src="$1/pulumi-language-nodejs/cmd"
  # The module replaces pkg/v3 and sdk/v3 with folders of the monorepo: take them from the proxy at the
  # release's version instead (the clipboard replace stays). Tests are not built.
  rm -f "$src"/*_test.go
  (cd "$src" && go mod edit -dropreplace github.com/pulumi/pulumi/pkg/v3 -dropreplace github.com/pulumi/pulumi/sdk/v3 \
    -require github.com/pulumi/pulumi/pkg/v3@v3.248.0 -require github.com/pulumi/pulumi/sdk/v3@v3.248.0)
  printf '%s|%s|%s' "$src" . ""
}
prepare_pulumi-resource-command() {
  printf '%s|%s|%s' "$1/pulumi-command/provider" ./cmd/pulumi-resource-command ""
}
prepare_pulumi-resource-docker() {
  local provider="$1/pulumi-docker/provider"
  # The provider embeds schema-embed.json: the committed schema.json with the version set.
  if [ ! -f "$provider/cmd/pulumi-resource-docker/schema-embed.json" ]; then
    (cd "$provider/cmd/pulumi-resource-docker" && VERSION=5.2.0 nice -n 10 go run generate.go) >&2
  fi
  # no_compose: upstream's release build leaves the compose support out.
  printf '%s|%s|%s' "$provider" ./cmd/pulumi-resource-docker "-tags no_compose"
}

stamp_of() { printf '%s %s %s %s %s\n' "$1" "$2" "$3" "$(cat "${BASH_SOURCE[0]}" "$here"/cli/go.mod "$here"/cli/go.sum | sha256sum | cut -c1-16)" "$go_version"; }

build_one() {
  local name="$1" version="$2" source="$3" xvar="$4" log="$log_dir/$1.log" sum="" dir="" spec t0=$SECONDS
  : >"$log"
  if [ "${source%%:*}" = vendor ]; then
    sum="$(archive_sum "${source#vendor:}")" || return 1
    dir="$(unpack "$name" "${source#vendor:}" "$sum")"
  fi
  say "$name $version: preparing (log: $log)"
  if ! spec="$("prepare_$name" "$dir" 2>>"$log")"; then
    tail -n 15 "$log" >&2; say "$name: FAILED to prepare the sources; full log in $log"; return 1
  fi
  local module_dir pkg flags out="$bin_dir/$name"
  IFS='|' read -r module_dir pkg flags <<<"$spec"
  say "$name $version: building $pkg in $module_dir"
  # shellcheck disable=SC2086 # flags is a word list
  if ! (cd "$module_dir" && nice -n 10 go build -trimpath $flags -ldflags "-s -w -X $xvar=$version" -o "$out.tmp" "$pkg") >>"$log" 2>&1; then
    local mv
    mv="$(grep -oE '[a-zA-Z0-9.-]+\.[a-z]+/[^ :@]+@v[^ :]+' "$log" | head -1 || true)"
    tail -n 15 "$log" >&2
    say "$name: FAILED to build $pkg${mv:+ (module $mv)}; full log in $log"
    rm -f "$out.tmp"; return 1
  fi
  mv -f "$out.tmp" "$out"
  stamp_of "$name" "$version" "$sum" >"$stamp_dir/$name"
  say "$name $version: built in $((SECONDS - t0))s, $(du -h "$out" | cut -f1)"
}

failed=()
for w in "${wanted[@]}"; do
  for c in "${components[@]}"; do
    [ "${c%%|*}" = "$w" ] || continue
    IFS='|' read -r name version source xvar <<<"$c"
    sum=""
    if [ "${source%%:*}" = vendor ]; then sum="$(archive_sum "${source#vendor:}" 2>/dev/null || true)"; fi
    if [ -z "${PROMEMU_TOOLCHAIN_FORCE:-}" ] && [ -x "$bin_dir/$name" ] && { [ "${source%%:*}" != vendor ] || [ -n "$sum" ]; } &&
      [ "$(cat "$stamp_dir/$name" 2>/dev/null)" = "$(stamp_of "$name" "$version" "$sum")" ]; then
      say "$name $version: up to date ($bin_dir/$name)"
      continue
    fi
    build_one "$name" "$version" "$source" "$xvar" || { say "$name: FAILED: not built (see above)"; failed+=("$name"); }
  done
done

[ ${#failed[@]} -eq 0 ] || say "not built: ${failed[*]} (see above); the bin folder holds the others"
echo "PULUMI_TOOLCHAIN_BIN=$bin_dir"
[ ${#failed[@]} -eq 0 ] || exit 3
