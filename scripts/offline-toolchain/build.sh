#!/usr/bin/env bash
# Builds the Pulumi toolchain from Go modules (the Go module proxy is the only source), into a cache
# folder outside the repository:
#
#   ${PROMEMU_CACHE_DIR:-$HOME/.cache/promemu}/toolchain/bin/
#
# Usage: scripts/offline-toolchain/build.sh [COMPONENT...]
#   COMPONENT: pulumi, pulumi-language-nodejs, pulumi-resource-command, pulumi-resource-docker
#   (default: all four). Each is built from a small wrapper module in this folder (its go.mod pins
#   the exact module versions) and stamped with its version (-ldflags -X). A binary whose stamp
#   matches is not rebuilt, so a second run takes a second or two.
#
# Output: progress on stderr; the last line on stdout is `PULUMI_TOOLCHAIN_BIN=<dir>`, printed even
# when some component failed, so that `eval "$(scripts/offline-toolchain/build.sh pulumi ...)"` or
# `grep ^PULUMI_TOOLCHAIN_BIN=` works. Exit status: 0 when every requested component is in the bin
# folder, 3 when some could not be built (each named with the module@version that could not be had),
# 2 on a usage error.
#
# Environment: PROMEMU_CACHE_DIR (cache root), GOCACHE (default: <cache>/toolchain/go-build),
# GOPATH/GOMODCACHE (Go's defaults), PROMEMU_TOOLCHAIN_FORCE=1 (rebuild even if stamped).
# See README.md beside this file for what is built from which module and why.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${PROMEMU_CACHE_DIR:-$HOME/.cache/promemu}/toolchain"
bin_dir="$cache_root/bin"
stamp_dir="$bin_dir/.stamps"
work_dir="$cache_root/build"
log_dir="$cache_root/logs"

say() { printf '[offline-toolchain] %s\n' "$*" >&2; }

# --- what is built --------------------------------------------------------------------------------
# name | wrapper folder | package to build ("." = the wrapper itself) | version stamped | -X variable
# The module versions themselves are pinned in <wrapper folder>/go.mod. Several lines with the same
# name are alternatives, tried in order until one builds (the first is always the real program).
components=(
  "pulumi|cli|github.com/pulumi/pulumi/pkg/v3/cmd/pulumi|v3.248.0|github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"
  "pulumi-language-nodejs|language-nodejs|github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs|v3.68.0|github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"
  "pulumi-resource-command|command|github.com/pulumi/pulumi-command/provider/cmd/pulumi-resource-command|1.2.1|github.com/pulumi/pulumi-command/provider/pkg/version.Version"
  "pulumi-resource-command|command-standin|.|1.2.1+promemu.standin|main.version"
  "pulumi-resource-docker|docker|github.com/pulumi/pulumi-docker/provider/v5/cmd/pulumi-resource-docker|5.1.0|github.com/pulumi/pulumi-docker/provider/v5/pkg/version.Version"
  "pulumi-resource-docker|docker-standin|.|5.2.0+promemu.standin|main.version"
)

known_names() {
  local c seen=" "
  for c in "${components[@]}"; do
    case "$seen" in *" ${c%%|*} "*) ;; *) seen="$seen${c%%|*} "; printf '%s ' "${c%%|*}" ;; esac
  done
}

wanted=("$@")
if [ ${#wanted[@]} -eq 0 ]; then
  read -r -a wanted <<<"$(known_names)"
fi
for w in "${wanted[@]}"; do
  case " $(known_names)" in
    *" $w "*) ;;
    *) say "unknown component '$w' (known: $(known_names))"; exit 2 ;;
  esac
done

command -v go >/dev/null || { say "go is not on PATH"; exit 1; }
mkdir -p "$bin_dir" "$stamp_dir" "$work_dir" "$log_dir"
# One run at a time per cache folder (two runs would share build/ and bin/).
if command -v flock >/dev/null; then
  exec 9>"$cache_root/.lock"
  flock -n 9 || { say "another build.sh is using $cache_root; waiting for it"; flock 9; }
fi
export GOFLAGS="-mod=mod"
export CGO_ENABLED=0
export GOCACHE="${GOCACHE:-$cache_root/go-build}"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

# The Pulumi modules a wrapper requires (github.com/pulumi/pulumi*: the ones it is about), as module@version.
pinned_modules() {
  awk '/^require \(/ { inblock = 1; next }
       inblock && /^\)/ { inblock = 0; next }
       inblock && $1 ~ /^github\.com\/pulumi\/pulumi/ { print $1 "@" $2 }
       /^require [^(]/ && $2 ~ /^github\.com\/pulumi\/pulumi/ { print $2 "@" $3 }' "$1"
}

# Asks the proxy for each module@version the wrapper pins; prints the first that cannot be had.
first_missing_module() {
  local mv out
  for mv in $(pinned_modules "$1/go.mod"); do
    if ! out="$(go mod download -json "$mv" 2>&1)" || printf '%s' "$out" | grep -q '"Error"'; then
      printf '%s\n' "$mv"
      printf '%s\n' "$out" | sed -n 's/.*"Error": "\(.*\)",\{0,1\}$/\1/p' | sed 's/\\n/\n/g; s/\\t/  /g' | head -3 >&2
      return 0
    fi
  done
  return 1
}

# The stamp of one alternative: what is stamped, a hash of the wrapper's files, the Go version.
stamp_of() {
  local name="$1" wrapper="$2" version="$3" src="$here/$2"
  printf '%s %s %s %s %s\n' "$name" "$version" "$wrapper" \
    "$(cat "$src/go.mod" "$src"/go.sum "$src"/*.go 2>/dev/null | sha256sum | cut -c1-16)" "$go_version"
}

# Builds one alternative; returns non-zero (after saying why) when it cannot be built. The log of a
# component starts afresh with its first alternative; a fallback's build output is appended to it,
# so the reason the real program could not be built stays in logs/<name>.log.
build_one() {
  local name="$1" wrapper="$2" pkg="$3" version="$4" xvar="$5"
  local src="$here/$wrapper" dst="$work_dir/$wrapper" out="$bin_dir/$name" log="$log_dir/$name.log"
  if [ "$first_alternative" = 1 ]; then : >"$log"; fi
  if [ ! -f "$src/go.mod" ]; then
    say "$name: wrapper module $src/go.mod is missing" 2>&1 | tee -a "$log" >&2; return 1
  fi
  say "$name $version: checking the modules $wrapper/go.mod pins"
  rm -rf "$dst" && mkdir -p "$dst" && cp -R "$src/." "$dst/"
  local missing
  if missing="$(first_missing_module "$dst" 2>"$log.probe")"; then
    say "$name ($wrapper): module $missing cannot be had from the Go module proxy" 2>>"$log.probe"
    tee -a "$log" <"$log.probe" >&2; rm -f "$log.probe"
    return 1
  fi
  rm -f "$log.probe"
  say "$name $version: building $pkg (log: $log)"
  local t0=$SECONDS
  if ! (cd "$dst" && nice -n 10 go build -trimpath -ldflags "-s -w -X $xvar=$version" -o "$out.tmp" "$pkg") >>"$log" 2>&1; then
    # Name the module@version the go command could not get, if that is what failed.
    local mv
    mv="$(grep -oE '[a-zA-Z0-9.-]+\.[a-z]+/[^ :@]+@v[^ :]+' "$log" | head -1 || true)"
    tail -n 15 "$log" >&2
    say "$name ($wrapper): FAILED to build $pkg${mv:+ (module $mv)}; full log in $log"
    rm -f "$out.tmp"; return 1
  fi
  mv -f "$out.tmp" "$out"
  stamp_of "$name" "$wrapper" "$version" >"$stamp_dir/$name"
  say "$name $version: built in $((SECONDS - t0))s, $(du -h "$out" | cut -f1) ($(pinned_modules "$dst/go.mod" | tr '\n' ' '))"
}

go_version="$(go env GOVERSION)"
failed=()
for w in "${wanted[@]}"; do
  alts=()
  for c in "${components[@]}"; do [ "${c%%|*}" = "$w" ] && alts+=("$c"); done
  # Up to date when the stamp matches one of the alternatives and the binary is there.
  done_already=""
  if [ -z "${PROMEMU_TOOLCHAIN_FORCE:-}" ] && [ -x "$bin_dir/$w" ]; then
    for c in "${alts[@]}"; do
      IFS='|' read -r name wrapper pkg version xvar <<<"$c"
      if [ "$(cat "$stamp_dir/$name" 2>/dev/null)" = "$(stamp_of "$name" "$wrapper" "$version")" ]; then
        say "$name $version ($wrapper): up to date ($bin_dir/$name)"; done_already=1; break
      fi
    done
  fi
  [ -n "$done_already" ] && continue
  built=""
  for c in "${alts[@]}"; do
    IFS='|' read -r name wrapper pkg version xvar <<<"$c"
    if [ -n "$built" ]; then break; fi
    if [ "$c" != "${alts[0]}" ]; then
      say "$name: falling back to $wrapper (see scripts/offline-toolchain/README.md)"
    fi
    first_alternative=0; [ "$c" = "${alts[0]}" ] && first_alternative=1
    if build_one "$name" "$wrapper" "$pkg" "$version" "$xvar"; then built=1; fi
  done
  if [ -z "$built" ]; then
    say "$w: FAILED: not built (see above)"
    failed+=("$w")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  say "not built: ${failed[*]} (see above); the bin folder holds the others"
fi
echo "PULUMI_TOOLCHAIN_BIN=$bin_dir"
[ ${#failed[@]} -eq 0 ] || exit 3
