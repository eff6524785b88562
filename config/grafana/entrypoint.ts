/**
 * The Grafana container's entry point: a POSIX sh script (the image is Alpine: busybox sh, grep, sed, curl; no jq)
 * that makes the admin login and password the stack declares true at every start, then hands over to the image's
 * own entry point.
 *
 * Grafana reads GF_SECURITY_ADMIN_USER and GF_SECURITY_ADMIN_PASSWORD only when it creates its database. With the
 * database kept on a volume (`keepData`), a new password (down and up again, a changed `grafanaAdminPassword`, a
 * restored backup of another stack) or a new `grafana.adminUser` would otherwise be ignored, and the password the
 * stack outputs would not log in.
 *
 * What Grafana's source says, and why the script is as it is (docs/alerts-and-dashboards.md, "The admin login"):
 * - `grafana cli admin reset-admin-password` (pkg/cmd/grafana-cli/commands/reset_password_command.go,
 *   resetPasswordCommand) logs "Admin user cannot be found" and returns nil when user 1 does not exist, and drops
 *   every other error of resetPassword (user 1 not an admin, the update failing) the same way: since Grafana 11.3
 *   (grafana/grafana#92217) the command exits 0 whether or not the password was set (grafana/grafana#102549, open).
 *   So its exit code proves nothing: at every start with an existing database the script signs in with the new
 *   password on a short-lived loopback server before handing over, and stops with a clear line when it cannot.
 * - PUT /api/users/:id (pkg/api/user.go, UpdateUser then handleUpdateUser) binds `login`, `email` and `name`, puts
 *   the e-mail in the login when the login is empty, and the user store (pkg/services/user/userimpl/store.go,
 *   sqlStore.Update) writes a user struct with xorm's Update, which skips empty fields. The rename sends the new login
 *   and the e-mail and name exactly as GET /api/user returned them: their JSON string literals copied verbatim
 *   (escapes included), so quotes, commas, braces and backslashes in them come back unchanged and nothing is blanked.
 */

export interface GrafanaEntrypointArgs {
  /** The admin login (`grafana.adminUser`); the password comes from GF_SECURITY_ADMIN_PASSWORD. */
  readonly adminUser: string;
  /** The image's entry point, which starts the server with the image's paths (`/run.sh` in grafana/grafana). */
  readonly upstream?: string;
  /** Loopback port of the short-lived server that checks the password and renames the admin login (never published). */
  readonly checkPort?: number;
  /** Seconds to wait for that server to answer. */
  readonly checkTimeoutSeconds?: number;
}

/** File on the data volume naming the login the database's admin (user 1) was last given; it travels with backups. */
export const GRAFANA_ADMIN_LOGIN_FILE = "promemu-admin-login";

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

export function renderGrafanaEntrypoint(args: GrafanaEntrypointArgs): string {
  const upstream = args.upstream ?? "/run.sh";
  const port = args.checkPort ?? 3999;
  const timeout = args.checkTimeoutSeconds ?? 120;
  return `#!/bin/sh
# promemu: makes the admin login and password the stack declares true at every start (rendered by
# config/grafana/entrypoint.ts, which cites the Grafana source this relies on). Grafana applies
# GF_SECURITY_ADMIN_USER/PASSWORD only when it creates its database, so with a database kept from before, the
# password is reset (user 1 is the admin Grafana created), checked by signing in on a loopback-only server, and the
# login renamed there, before the server starts.
set -eu

# Here rather than in the environment, which holds the password and so is masked in plans and diffs.
admin_user=${quote(args.adminUser)}
# The same login as a JSON string literal, for the rename's request body.
admin_user_json=${quote(JSON.stringify(args.adminUser))}
export GF_SECURITY_ADMIN_USER="$admin_user"
: "\${GF_SECURITY_ADMIN_PASSWORD:?GF_SECURITY_ADMIN_PASSWORD must hold the admin password}"
upstream=${quote(upstream)}
check_port=${port}
check_timeout=${timeout}
data_dir="\${GF_PATHS_DATA:-/var/lib/grafana}"
home_dir="\${GF_PATHS_HOME:-/usr/share/grafana}"
config_file="\${GF_PATHS_CONFIG:-/etc/grafana/grafana.ini}"
login_file="$data_dir/${GRAFANA_ADMIN_LOGIN_FILE}"

say() { echo "promemu-entrypoint: $*" >&2; }
fail() { say "$*"; exit 1; }
lower() { printf '%s' "$1" | tr 'A-Z' 'a-z'; }

# stdin: one JSON object on one line, as Grafana answers. Prints the string field $1 as its JSON string literal,
# quotes and escapes included ("a\\"b"), or nothing. A JSON string is '"' then any characters but '"' and '\\' or
# '\\' with the character it escapes, then '"'; inside a string every '"' follows a '\\', so '"<field>":' can only
# match a key.
json_string() {
  grep -oE "\\"$1\\":[[:space:]]*\\"([^\\"\\\\\\\\]|\\\\\\\\.)*\\"" | head -n 1 | sed 's/^"[^"]*":[[:space:]]*//'
}
# The same for a number field.
json_number() {
  grep -oE "\\"$1\\":[[:space:]]*-?[0-9]+" | head -n 1 | sed 's/^"[^"]*":[[:space:]]*//'
}

server=""
work=""
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
  fi
  [ -z "$work" ] || rm -rf "$work"
  work=""
}
trap cleanup EXIT

sign_in() { # $1: login or e-mail; prints GET /api/user's answer when the password signs in as user 1
  # Basic auth from a file in mktemp's private folder: the password is in no process's arguments.
  printf 'Authorization: Basic %s\\n' "$(printf '%s:%s' "$1" "$GF_SECURITY_ADMIN_PASSWORD" | base64 | tr -d '\\n')" >"$work/auth"
  answer=$(curl -fsS -H "@$work/auth" "$base/api/user" 2>/dev/null) || return 1
  [ "$(printf '%s' "$answer" | json_number id)" = 1 ] || return 1
  printf '%s' "$answer"
}

check_admin() { # $1: the login the database's admin had, as far as it is known; then the server's arguments
  previous_login=$1
  shift
  say "checking the admin password (and login) on a loopback-only Grafana"
  "$upstream" "$@" "cfg:server.http_addr=127.0.0.1" "cfg:server.http_port=$check_port" >"$work/server.log" 2>&1 &
  server=$!
  base="http://127.0.0.1:$check_port"
  waited=0
  until curl -fsS -o /dev/null "$base/api/health" 2>/dev/null; do
    kill -0 "$server" 2>/dev/null || fail "Grafana stopped while starting to check the admin password; its log: $(tail -n 20 "$work/server.log")"
    [ "$waited" -lt "$check_timeout" ] || fail "Grafana did not answer on 127.0.0.1:$check_port within \${check_timeout}s"
    sleep 1
    waited=$((waited + 1))
  done
  me=""
  for who in "$admin_user" "$previous_login" "\${GF_SECURITY_ADMIN_EMAIL:-admin@localhost}"; do
    [ -n "$who" ] || continue
    if me=$(sign_in "$who"); then break; fi
    me=""
  done
  [ -n "$me" ] || fail "the admin password the stack declares does not sign in: Grafana refuses it for its admin (user 1) as '$admin_user'\${previous_login:+, '$previous_login'} and as the admin e-mail. grafana cli admin reset-admin-password exits 0 even when it sets nothing (Grafana 11.3 and later, e.g. when user 1 is missing or not an admin); it said: $(tail -n 5 "$work/reset.log" | tr '\\n' ' ')"
  login=$(printf '%s' "$me" | json_string login)
  if [ "$(lower "$login")" != "$(lower "$admin_user_json")" ]; then
    say "renaming Grafana's admin login to '$admin_user'"
    # The e-mail and name go back exactly as Grafana sent them (JSON string literals, escapes and all).
    email=$(printf '%s' "$me" | json_string email)
    name=$(printf '%s' "$me" | json_string name)
    body="{\\"login\\":$admin_user_json"
    [ -z "$email" ] || body="$body,\\"email\\":$email"
    [ -z "$name" ] || body="$body,\\"name\\":$name"
    printf '%s}' "$body" >"$work/body"
    curl -fsS -o /dev/null -X PUT -H "@$work/auth" -H "Content-Type: application/json" --data-binary "@$work/body" "$base/api/users/1" ||
      fail "Grafana refused to rename its admin (user 1) to '$admin_user' (is that login taken by another user?)"
    sign_in "$admin_user" >/dev/null || fail "Grafana renamed its admin (user 1) to '$admin_user', but that login does not sign in with the password the stack declares"
  fi
  cleanup
}

if [ -f "$data_dir/grafana.db" ]; then
  say "existing Grafana database: setting the admin password the stack declares"
  work=$(mktemp -d)
  printf '%s\\n' "$GF_SECURITY_ADMIN_PASSWORD" |
    grafana cli --homepath "$home_dir" --config "$config_file" --configOverrides "cfg:default.paths.data=$data_dir" \\
      admin reset-admin-password --password-from-stdin >"$work/reset.log" 2>&1 ||
    fail "could not set the admin password of the database in $data_dir (grafana cli admin reset-admin-password failed: $(tail -n 5 "$work/reset.log" | tr '\\n' ' '))"
  check_admin "$(cat "$login_file" 2>/dev/null || true)" "$@"
fi
trap - EXIT
printf '%s\\n' "$admin_user" >"$login_file"
exec "$upstream" "$@"
`;
}
