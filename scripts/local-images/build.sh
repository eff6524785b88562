#!/usr/bin/env bash
# Local images for machines that can reach no container registry. Each image is a small root file
# system imported with `docker import`:
#
#   promemu-local/prometheus:<tag>     /bin/prometheus, /bin/promtool   } the versions the stack pins, built from
#   promemu-local/pushgateway:<tag>    /bin/pushgateway                 } their Go modules by scripts/servers/build.sh
#   promemu-local/alertmanager:<tag>   /bin/alertmanager, /bin/amtool   } (<tag> = the pinned tag, e.g. v3.5.0)
#   promemu-local/node:<v>-debian12    /usr/local/bin/node, npm, npx    (this host's Node.js; base of emulator/Dockerfile)
#   promemu-local/victoria-logs:<tag>  /victoria-logs-prod              (the log store, scripts/servers/build.sh too)
#
# plus, in every image, busybox (busybox-static) as /bin/busybox with its applets (sh, wget, tar, ...),
# the shared libraries the programs load (found with ldd), /etc/passwd and /etc/group with nobody
# (65534) and, in the Node image, node (1000), and /tmp. The layout follows the upstream images where
# the stack relies on it: entry points, data directories owned by the image user, working directories,
# default commands, exposed ports and volumes (see the table in image_* below).
#
# Usage: scripts/local-images/build.sh [--force] [prometheus|pushgateway|alertmanager|node|victorialogs ...]
#   Needs a reachable Docker daemon (DOCKER_HOST, the default socket, or scripts/local-images/dockerd.sh).
#   An image whose tag exists and whose io.promemu.local-image.inputs label matches this script and its
#   inputs (package versions, file sizes and times) is kept: a second run takes seconds. --force rebuilds.
#   The last lines of the output are KEY=ref, e.g. PROMEMU_IMAGE_PROMETHEUS=promemu-local/prometheus:v3.5.0.
#   The server images run scripts/servers/build.sh first (idempotent; it needs Go on a cold cache).
#   They carry no web UI of Prometheus (its React UI is not part of the Go module: the API works);
#   users get the upstream images with their UIs.
# Environment: PROMEMU_LOCAL_IMAGE_PREFIX (default promemu-local).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF=$HERE/$(basename "${BASH_SOURCE[0]}")
PREFIX=${PROMEMU_LOCAL_IMAGE_PREFIX:-promemu-local}
LABEL_INPUTS=io.promemu.local-image.inputs
BUSYBOX=${PROMEMU_BUSYBOX:-/bin/busybox}

say() { printf 'build.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

FORCE=0
WANT=()
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    prometheus | pushgateway | alertmanager | node | victorialogs) WANT+=("$arg") ;;
    -h | --help) sed -n '2,24p' "$SELF" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $arg (try --help)" ;;
  esac
done
[ ${#WANT[@]} -gt 0 ] || WANT=(prometheus pushgateway alertmanager node victorialogs)

# ---------------------------------------------------------------------------------------------- daemon
command -v docker >/dev/null || die "the docker CLI is not found: apt-get install docker.io"
if ! docker info --format '{{.ID}}' >/dev/null 2>&1; then
  if env_line=$("$HERE/dockerd.sh" env 2>/dev/null) && [ -n "$env_line" ]; then
    eval "$env_line"
    say "using the private daemon ($DOCKER_HOST)"
  else
    die "no Docker daemon reachable: start one (scripts/local-images/dockerd.sh start) or set DOCKER_HOST"
  fi
fi

# ------------------------------------------------------------------------------------------- helpers
deb_version() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || die "Debian package $1 is not installed (apt-get install $1)"; }
DEBIAN_TAG=debian$(. /etc/os-release && printf '%s' "${VERSION_ID%%.*}")

STAGE_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/promemu-local-images.XXXXXX")
trap 'rm -rf "$STAGE_ROOT"' EXIT

# The busybox base every image shares: applets in /bin, users, groups, /tmp, name resolution.
base_rootfs() {
  local root=$1
  mkdir -p "$root"/{bin,sbin,etc,tmp,root,home,usr/bin,usr/sbin,usr/local/bin,var}
  chmod 1777 "$root/tmp"
  chmod 700 "$root/root"
  cp "$BUSYBOX" "$root/bin/busybox"
  # Every applet in /bin (as in the busybox images upstream builds on) and at busybox's own path for it
  # when that differs (/usr/bin/env, which `#!/usr/bin/env node` scripts such as npm need).
  local applet
  for applet in $("$root/bin/busybox" --list-full); do
    case "$applet" in */busybox) continue ;; esac
    ln -sf busybox "$root/bin/${applet##*/}"
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
  done
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/home:/bin/false
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
EOF
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  # Docker bind-mounts its own /etc/hosts, /etc/hostname and /etc/resolv.conf over these.
  : >"$root/etc/hosts"
  : >"$root/etc/resolv.conf"
}

# Copies a program and every shared library ldd finds for it, at the same paths.
add_program() {
  local root=$1 src=$2 dest=$3 lib
  mkdir -p "$root/$(dirname "$dest")"
  cp -L "$src" "$root/$dest"
  for lib in $(ldd "$src" 2>/dev/null | awk '/=> \// {print $3} /^[ \t]*\/[^ ]+ \(/ {print $1}'); do
    mkdir -p "$root/$(dirname "$lib")"
    [ -e "$root/$lib" ] || cp -L "$lib" "$root/$lib"
  done
}

# The stamp of an image: this script, the Debian versions and the size and time of every file copied in.
inputs_stamp() {
  {
    sha256sum "$SELF" | cut -d' ' -f1
    printf '%s\n' "$@"
    stat -L -c '%n %s %Y' "$BUSYBOX"
  } | sha256sum | cut -c1-32
}

image_current() {
  local ref=$1 stamp=$2 have
  have=$(docker image inspect --format "{{index .Config.Labels \"$LABEL_INPUTS\"}}" "$ref" 2>/dev/null) || return 1
  [ "$have" = "$stamp" ]
}

# Tars a staged root (numeric owners: root everywhere, `owned` paths to uid:gid) and imports it.
import_rootfs() {
  local root=$1 ref=$2 owner=$3 owned=$4
  shift 4
  local tarball=$root.tar excludes=() p
  for p in $owned; do excludes+=("--exclude=./${p#/}"); done
  tar --numeric-owner --owner=0 --group=0 --anchored "${excludes[@]}" -C "$root" -cf "$tarball" .
  for p in $owned; do
    tar --numeric-owner --owner="${owner%%:*}" --group="${owner##*:}" -C "$root" -rf "$tarball" "./${p#/}"
  done
  local changes=() c
  for c in "$@"; do changes+=(--change "$c"); done
  local previous
  previous=$(docker image inspect --format '{{.Id}}' "$ref" 2>/dev/null || true)
  docker import "${changes[@]}" --message "promemu local image, built by scripts/local-images/build.sh" "$tarball" "$ref" >/dev/null
  rm -f "$tarball"
  # The image this tag named before is left untagged: remove it unless a container still uses it (vfs
  # keeps every layer as a full copy).
  if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect --format '{{.Id}}' "$ref")" ]; then
    docker image rm "$previous" >/dev/null 2>&1 || true
  fi
}

# Builds ref unless it is current; $3 names the function that stages the root file system.
build_image() {
  local kind=$1 ref=$2 stamp=$3 stage_fn=$4 owner=$5 owned=$6
  shift 6
  if [ "$FORCE" = 0 ] && image_current "$ref" "$stamp"; then
    say "$ref is up to date"
    return 0
  fi
  local started=$SECONDS root=$STAGE_ROOT/$kind
  say "building $ref"
  base_rootfs "$root"
  "$stage_fn" "$root"
  import_rootfs "$root" "$ref" "$owner" "$owned" \
    "LABEL $LABEL_INPUTS=$stamp" \
    "LABEL org.opencontainers.image.title=$kind" \
    "LABEL org.opencontainers.image.description=\"promemu local image, built by scripts/local-images/build.sh\"" \
    "$@"
  rm -rf "$root"
  say "built $ref ($((SECONDS - started))s, $(docker image inspect --format '{{.Size}}' "$ref" | awk '{printf "%.0f MB", $1/1e6}'))"
}

# ---------------------------------------------------------------------------------------- the images
RESULTS=()

# The pinned server programs (scripts/servers/build.sh: built once, then seconds). Static Go programs: no
# shared libraries to copy.
SERVERS_BIN=""
servers_bin() {
  if [ -z "$SERVERS_BIN" ]; then
    local out
    out=$(bash "$HERE/../servers/build.sh") || die "the pinned server programs could not be built (scripts/servers/build.sh, above)"
    SERVERS_BIN=$(printf '%s\n' "$out" | sed -n 's/^PROMEMU_SERVERS_BIN=//p' | tail -n 1)
  fi
  printf '%s' "$SERVERS_BIN"
}
# The tag an image gets: the stack's pin, as scripts/servers/build.sh reads it from config/settings.ts.
pinned_tag() { bash "$HERE/../servers/build.sh" --print-versions "$1" | awk '{print $2}'; }
# What the stamp of a server image covers: the programs' stamps (module@version, build script, Go version).
program_stamps() { local p; for p in "$@"; do cat "$SERVERS_BIN/.stamps/$p"; sha256sum "$SERVERS_BIN/$p" | cut -c1-16; done; }

stage_prometheus() {
  local root=$1
  cp "$SERVERS_BIN/prometheus" "$SERVERS_BIN/promtool" "$root/bin/"
  mkdir -p "$root/etc/prometheus" "$root/prometheus"
  # The upstream image's example configuration: Prometheus scrapes itself.
  cat >"$root/etc/prometheus/prometheus.yml" <<'EOF'
global:
  scrape_interval: 15s
  evaluation_interval: 15s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["localhost:9090"]
EOF
}
image_prometheus() {
  local tag ref stamp
  servers_bin >/dev/null
  tag=$(pinned_tag prometheus)
  ref=$PREFIX/prometheus:$tag
  stamp=$(inputs_stamp "$(program_stamps prometheus promtool)")
  # As prom/prometheus: ENTRYPOINT /bin/prometheus, user nobody, WORKDIR and VOLUME /prometheus,
  # /etc/prometheus and /prometheus owned by nobody, upstream's default command.
  build_image prometheus "$ref" "$stamp" stage_prometheus 65534:65534 "/etc/prometheus /prometheus" \
    "LABEL org.opencontainers.image.version=$tag" \
    'ENTRYPOINT ["/bin/prometheus"]' \
    'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]' \
    'USER nobody' \
    'WORKDIR /prometheus' \
    'EXPOSE 9090' \
    'VOLUME ["/prometheus"]'
  RESULTS+=("PROMEMU_IMAGE_PROMETHEUS=$ref")
}

stage_pushgateway() {
  local root=$1
  cp "$SERVERS_BIN/pushgateway" "$root/bin/"
  mkdir -p "$root/pushgateway"
}
image_pushgateway() {
  local tag ref stamp
  servers_bin >/dev/null
  tag=$(pinned_tag pushgateway)
  ref=$PREFIX/pushgateway:$tag
  stamp=$(inputs_stamp "$(program_stamps pushgateway)")
  # As prom/pushgateway: ENTRYPOINT /bin/pushgateway, USER 65534, WORKDIR /pushgateway (owned by 65534),
  # metrics in memory unless --persistence.file is given.
  build_image pushgateway "$ref" "$stamp" stage_pushgateway 65534:65534 "/pushgateway" \
    "LABEL org.opencontainers.image.version=$tag" \
    'ENTRYPOINT ["/bin/pushgateway"]' \
    'USER 65534' \
    'WORKDIR /pushgateway' \
    'EXPOSE 9091'
  RESULTS+=("PROMEMU_IMAGE_PUSHGATEWAY=$ref")
}

stage_alertmanager() {
  local root=$1
  cp "$SERVERS_BIN/alertmanager" "$SERVERS_BIN/amtool" "$root/bin/"
  mkdir -p "$root/etc/alertmanager" "$root/alertmanager"
  # A minimal valid configuration (upstream ships an example); the stack uploads its own.
  cat >"$root/etc/alertmanager/alertmanager.yml" <<'EOF'
route:
  receiver: default
receivers:
  - name: default
EOF
}
image_alertmanager() {
  local tag ref stamp
  servers_bin >/dev/null
  tag=$(pinned_tag alertmanager)
  ref=$PREFIX/alertmanager:$tag
  stamp=$(inputs_stamp "$(program_stamps alertmanager amtool)")
  # As prom/alertmanager: ENTRYPOINT /bin/alertmanager, user nobody, WORKDIR and VOLUME /alertmanager,
  # /etc/alertmanager and /alertmanager owned by nobody, upstream's default command.
  build_image alertmanager "$ref" "$stamp" stage_alertmanager 65534:65534 "/etc/alertmanager /alertmanager" \
    "LABEL org.opencontainers.image.version=$tag" \
    'ENTRYPOINT ["/bin/alertmanager"]' \
    'CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"]' \
    'USER nobody' \
    'WORKDIR /alertmanager' \
    'EXPOSE 9093' \
    'VOLUME ["/alertmanager"]'
  RESULTS+=("PROMEMU_IMAGE_ALERTMANAGER=$ref")
}

NODE_BIN=${PROMEMU_NODE_BIN:-$(command -v node || true)}
npm_dir() { local cli; cli=$(readlink -f "$(command -v npm)") || return 1; (cd "$(dirname "$cli")/.." && pwd); }

stage_node() {
  local root=$1 npm
  npm=$(npm_dir) || die "npm not found"
  add_program "$root" "$NODE_BIN" /usr/local/bin/node
  # Upstream layout: npm in /usr/local/lib/node_modules/npm, npm and npx linked from /usr/local/bin.
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  printf 'node:x:1000:1000::/home/node:/bin/sh\n' >>"$root/etc/passwd"
  printf 'node:x:1000:\n' >>"$root/etc/group"
  mkdir -p "$root/home/node"
  # The upstream entry point: a first argument that is a flag or no command runs node with the arguments.
  cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
EOF
  chmod 755 "$root/usr/local/bin/docker-entrypoint.sh"
}
image_node() {
  [ -n "$NODE_BIN" ] || die "node not found (apt-get install nodejs)"
  local deb v ref stamp npm npm_version
  deb=$(dpkg-query -W -f '${Version}' nodejs 2>/dev/null || true)
  v=$("$NODE_BIN" -p 'process.versions.node')
  npm=$(npm_dir) || die "npm not found"
  npm_version=$("$NODE_BIN" -p "require('$npm/package.json').version")
  ref=$PREFIX/node:$v-$DEBIAN_TAG
  stamp=$(inputs_stamp "nodejs=$deb node=$v npm=$npm_version" "libc6=$(deb_version libc6)" "libstdc++6=$(deb_version libstdc++6)" "$(stat -L -c '%n %s %Y' "$NODE_BIN" "$npm/package.json")")
  # As node:<v>-alpine: node and npm in /usr/local, user node (1000) with /home/node, docker-entrypoint.sh,
  # CMD node, root by default (the emulator's Dockerfile switches to USER node).
  build_image node "$ref" "$stamp" stage_node 1000:1000 "/home/node" \
    "LABEL org.opencontainers.image.version=\"node-$v npm-$npm_version${deb:+ (nodejs $deb)}\"" \
    "ENV NODE_VERSION=$v" \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'ENTRYPOINT ["docker-entrypoint.sh"]' \
    'CMD ["node"]'
  RESULTS+=("PROMEMU_IMAGE_NODE=$ref")
}

stage_victorialogs() {
  local root=$1
  cp "$SERVERS_BIN/victoria-logs" "$root/victoria-logs-prod"
}
image_victorialogs() {
  local tag ref stamp
  servers_bin >/dev/null
  tag=$(pinned_tag victorialogs)
  ref=$PREFIX/victoria-logs:$tag
  stamp=$(inputs_stamp "$(program_stamps victoria-logs)")
  # As victoriametrics/victoria-logs (app/victoria-logs/multiarch/Dockerfile, distroless since v1.52.0): the program
  # at /victoria-logs-prod as ENTRYPOINT, no USER (root), no WORKDIR or VOLUME, port 9428. Upstream's image carries no
  # other program; this one has the busybox base of every local image, which the stack does not use for it.
  build_image victorialogs "$ref" "$stamp" stage_victorialogs 0:0 "" \
    "LABEL org.opencontainers.image.version=$tag" \
    'ENTRYPOINT ["/victoria-logs-prod"]' \
    'EXPOSE 9428'
  RESULTS+=("PROMEMU_IMAGE_VICTORIALOGS=$ref")
}

for kind in "${WANT[@]}"; do "image_$kind"; done
printf '%s\n' "${RESULTS[@]}"
