#!/usr/bin/env bash
# A private Docker engine for machines that have Debian's docker.io but no running daemon (CI boxes,
# sandboxes). Usage:
#
#   scripts/local-images/dockerd.sh start    # start it unless a daemon is already reachable (idempotent)
#   eval "$(scripts/local-images/dockerd.sh env)"   # export DOCKER_HOST=unix://<state>/docker.sock
#   scripts/local-images/dockerd.sh status   # exit 0 when the private daemon answers
#   scripts/local-images/dockerd.sh stop     # stop the daemon this script started (and only that one)
#
# Where things live:
#   PROMEMU_DOCKERD_DIR        run state: socket, pid file, exec root, log   (default /tmp/promemu-dockerd)
#   PROMEMU_DOCKERD_DATA_ROOT  images, containers, volumes                   (default $PROMEMU_CACHE_DIR/docker,
#                              PROMEMU_CACHE_DIR defaulting to $HOME/.cache/promemu)
# The data root is kept outside /tmp on purpose: like /var/lib/docker on a real host, the imported images
# (scripts/local-images/build.sh) and the stacks' data volumes survive a reboot or a /tmp cleanup, so the
# next run of build.sh takes seconds. The storage driver is vfs (works on any file system, no overlay
# needed), which stores every layer as a full copy: keep the images small, and remove the data root to
# reclaim the space (`stop` first).
#
# Networking: iptables stays on (user networks, isolation, published ports), but the daemon is started
# with --ip-forward=false and never turns IPv4 forwarding on: containers talk to each other and to this
# host (published ports go through docker-proxy on the host), and no container packet is routed off
# the machine.
set -euo pipefail

STATE_DIR=${PROMEMU_DOCKERD_DIR:-/tmp/promemu-dockerd}
CACHE_DIR=${PROMEMU_CACHE_DIR:-${HOME:-/root}/.cache/promemu}
DATA_ROOT=${PROMEMU_DOCKERD_DATA_ROOT:-$CACHE_DIR/docker}
EXEC_ROOT=$STATE_DIR/exec
PID_FILE=$STATE_DIR/pid
SOCKET=$STATE_DIR/docker.sock
LOG_FILE=$STATE_DIR/dockerd.log
HOST_URL=unix://$SOCKET
START_TIMEOUT=${PROMEMU_DOCKERD_TIMEOUT:-60}

say() { printf 'dockerd.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# docker CLI against the private socket, whatever DOCKER_HOST says.
private_docker() { DOCKER_HOST=$HOST_URL DOCKER_CONTEXT= docker "$@"; }
private_answers() { [ -S "$SOCKET" ] && private_docker info --format '{{.ID}}' >/dev/null 2>&1; }

# A daemon other than ours that the current environment already reaches (DOCKER_HOST, or the default socket).
other_daemon() {
  local target=${DOCKER_HOST:-unix:///var/run/docker.sock}
  [ "$target" = "$HOST_URL" ] && return 1
  docker info --format '{{.ID}}' >/dev/null 2>&1 || return 1
  printf '%s\n' "$target"
}

# Pid of the dockerd this script started, if it is still alive (a pid reused by another program does not count).
our_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid=$(tr -dc '0-9' <"$PID_FILE")
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  [ "$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null || true)")" = dockerd ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--pidfile=$PID_FILE" || return 1
  printf '%s\n' "$pid"
}

# Leftovers of a daemon that died without cleaning up: they make the next start fail or hang.
clear_stale() {
  if [ -e "$PID_FILE" ]; then say "removing stale pid file $PID_FILE"; rm -f "$PID_FILE"; fi
  if [ -e "$SOCKET" ]; then say "removing stale socket $SOCKET"; rm -f "$SOCKET"; fi
  # dockerd's own containerd (started under the exec root): a dead one's pid file could name a reused pid.
  local cpid_file=$EXEC_ROOT/containerd/containerd.pid cpid
  if [ -f "$cpid_file" ]; then
    cpid=$(tr -dc '0-9' <"$cpid_file")
    if [ -z "$cpid" ] || [ "$(basename "$(readlink "/proc/$cpid/exe" 2>/dev/null || true)")" != containerd ]; then
      rm -f "$cpid_file"
    fi
  fi
}

wait_ready() {
  local pid=$1 deadline=$((SECONDS + START_TIMEOUT))
  until private_answers; do
    if ! [ -d "/proc/$pid" ]; then
      say "dockerd exited during start; last lines of $LOG_FILE:"
      tail -n 20 "$LOG_FILE" >&2 || true
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "dockerd (pid $pid) did not answer within ${START_TIMEOUT}s; last lines of $LOG_FILE:"
      tail -n 20 "$LOG_FILE" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
}

cmd_start() {
  if private_answers; then
    say "private dockerd already running (socket $SOCKET)"
    return 0
  fi
  local pid other
  if pid=$(our_pid); then
    say "dockerd pid $pid is starting; waiting for it"
    wait_ready "$pid"
    say "private dockerd ready (socket $SOCKET)"
    return 0
  fi
  if other=$(other_daemon); then
    say "a Docker daemon is already reachable at $other: using it, not starting another"
    return 0
  fi
  [ "$(id -u)" = 0 ] || die "starting dockerd needs root (rootless Docker is not set up by this script)"
  command -v dockerd >/dev/null || die "dockerd not found: apt-get install docker.io"
  command -v docker >/dev/null || die "the docker CLI is not found: apt-get install docker.io"
  command -v docker-proxy >/dev/null || say "warning: docker-proxy not on PATH; published ports may not work"

  clear_stale
  mkdir -p "$STATE_DIR" "$EXEC_ROOT" "$DATA_ROOT"
  chmod 700 "$STATE_DIR"
  local iptables_flag=()
  if ! iptables -w -L -n >/dev/null 2>&1; then
    # Without a working iptables dockerd refuses to set up bridge networks; fall back to docker-proxy only.
    say "iptables does not work here: starting with --iptables=false (published ports through docker-proxy)"
    iptables_flag=(--iptables=false)
  fi
  printf '\n=== %s dockerd.sh start ===\n' "$(date -Is)" >>"$LOG_FILE"
  # setsid + nohup: the daemon outlives the shell (and the job control group) that started it.
  setsid nohup dockerd \
    --storage-driver=vfs \
    --data-root="$DATA_ROOT" \
    --exec-root="$EXEC_ROOT" \
    --pidfile="$PID_FILE" \
    -H "$HOST_URL" \
    --ip-forward=false \
    "${iptables_flag[@]}" \
    </dev/null >>"$LOG_FILE" 2>&1 &
  pid=$!
  wait_ready "$pid"
  say "private dockerd ready: pid $(cat "$PID_FILE" 2>/dev/null || echo "$pid"), socket $SOCKET, data root $DATA_ROOT"
  say "use it with: eval \"\$($0 env)\""
}

cmd_stop() {
  local pid
  if ! pid=$(our_pid); then
    if [ -e "$PID_FILE" ] || [ -e "$SOCKET" ]; then clear_stale; fi
    say "no private dockerd running (nothing to stop)"
    return 0
  fi
  say "stopping dockerd pid $pid (its running containers are stopped by the daemon itself)"
  kill -TERM "$pid"
  local deadline=$((SECONDS + ${PROMEMU_DOCKERD_STOP_TIMEOUT:-90}))
  while [ -d "/proc/$pid" ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "dockerd pid $pid still running after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.5
  done
  clear_stale 2>/dev/null
  say "stopped"
}

cmd_env() {
  if private_answers; then
    printf 'export DOCKER_HOST=%s\n' "$HOST_URL"
    return 0
  fi
  local other
  if other=$(other_daemon); then
    say "the private dockerd is not running; the reachable daemon $other is used as is"
    [ -n "${DOCKER_HOST:-}" ] && printf 'export DOCKER_HOST=%s\n' "$DOCKER_HOST"
    return 0
  fi
  die "no Docker daemon reachable: run '$0 start' first"
}

cmd_status() {
  if private_answers; then
    printf 'running pid=%s socket=%s data-root=%s\n' "$(our_pid || echo '?')" "$SOCKET" "$DATA_ROOT"
    return 0
  fi
  printf 'stopped (socket %s)\n' "$SOCKET"
  return 1
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) cmd_env ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|env|status" >&2; exit 2 ;;
esac
