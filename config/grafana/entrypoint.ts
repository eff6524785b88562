/**
 * The Grafana container's entry point: a POSIX sh script (the image is Alpine: busybox sh, curl) that makes the
 * admin login and password the stack declares true at every start, then hands over to the image's own entry point.
 *
 * Grafana reads GF_SECURITY_ADMIN_USER and GF_SECURITY_ADMIN_PASSWORD only when it creates its database. With the
 * database kept on a volume (`keepData`), a new password (down and up again, a changed `grafanaAdminPassword`, a
 * restored backup of another stack) or a new `grafana.adminUser` would otherwise be ignored, and the password the
 * stack outputs would not log in.
 */

export interface GrafanaEntrypointArgs {
  /** The admin login (`grafana.adminUser`); the password comes from GF_SECURITY_ADMIN_PASSWORD. */
  readonly adminUser: string;
  /** The image's entry point, which starts the server with the image's paths (`/run.sh` in grafana/grafana). */
  readonly upstream?: string;
  /** Loopback port of the short-lived server that renames the admin login (never published). */
  readonly renamePort?: number;
  /** Seconds to wait for that server to answer. */
  readonly renameTimeoutSeconds?: number;
}

/** File on the data volume naming the login the database's admin (user 1) was last given; it travels with backups. */
export const GRAFANA_ADMIN_LOGIN_FILE = "promemu-admin-login";

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

export function renderGrafanaEntrypoint(args: GrafanaEntrypointArgs): string {
  const upstream = args.upstream ?? "/run.sh";
  const port = args.renamePort ?? 3999;
  const timeout = args.renameTimeoutSeconds ?? 120;
  return `#!/bin/sh
# promemu: makes the admin login and password the stack declares true at every start (rendered by
# config/grafana/entrypoint.ts). Grafana applies GF_SECURITY_ADMIN_USER/PASSWORD only when it creates its
# database, so with a database kept from before, the password is reset (user 1 is the admin Grafana created)
# and the login renamed here before the server starts.
set -eu

# Here rather than in the environment, which holds the password and so is masked in plans and diffs.
admin_user=${quote(args.adminUser)}
export GF_SECURITY_ADMIN_USER="$admin_user"
: "\${GF_SECURITY_ADMIN_PASSWORD:?GF_SECURITY_ADMIN_PASSWORD must hold the admin password}"
upstream=${quote(upstream)}
rename_port=${port}
rename_timeout=${timeout}
data_dir="\${GF_PATHS_DATA:-/var/lib/grafana}"
home_dir="\${GF_PATHS_HOME:-/usr/share/grafana}"
config_file="\${GF_PATHS_CONFIG:-/etc/grafana/grafana.ini}"
login_file="$data_dir/${GRAFANA_ADMIN_LOGIN_FILE}"

say() { echo "promemu-entrypoint: $*" >&2; }
fail() { say "$*"; exit 1; }

json_field() { # $1: field name; stdin: a JSON object with that string or number field
  sed -n "s/.*\\"$1\\":\\"\\{0,1\\}\\([^\\",}]*\\).*/\\1/p"
}

rename_admin() { # $1: the login the database's admin had, as far as it is known; then the server's arguments
  previous_login=$1
  shift
  say "renaming Grafana's admin login to '$admin_user'"
  work=$(mktemp -d)
  "$upstream" "$@" "cfg:server.http_addr=127.0.0.1" "cfg:server.http_port=$rename_port" >"$work/server.log" 2>&1 &
  server=$!
  trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
  base="http://127.0.0.1:$rename_port"
  waited=0
  until curl -fsS -o /dev/null "$base/api/health" 2>/dev/null; do
    kill -0 "$server" 2>/dev/null || fail "Grafana stopped while starting to rename the admin login; its log: $(tail -n 20 "$work/server.log")"
    [ "$waited" -lt "$rename_timeout" ] || fail "Grafana did not answer on 127.0.0.1:$rename_port within \${rename_timeout}s"
    sleep 1
    waited=$((waited + 1))
  done
  # Basic auth from a file in mktemp's private folder: the password is in no process's arguments.
  me=""
  for who in "$admin_user" "$previous_login" "\${GF_SECURITY_ADMIN_EMAIL:-admin@localhost}"; do
    [ -n "$who" ] || continue
    printf 'Authorization: Basic %s\\n' "$(printf '%s:%s' "$who" "$GF_SECURITY_ADMIN_PASSWORD" | base64 | tr -d '\\n')" >"$work/auth"
    if me=$(curl -fsS -H "@$work/auth" "$base/api/user" 2>/dev/null) && [ "$(printf '%s' "$me" | json_field id)" = 1 ]; then break; fi
    me=""
  done
  [ -n "$me" ] || fail "cannot sign in as Grafana's admin (user 1) with the password just set, as '$admin_user'\${previous_login:+, '$previous_login'} or the admin e-mail"
  if [ "$(printf '%s' "$me" | json_field login)" != "$admin_user" ]; then
    email=$(printf '%s' "$me" | json_field email)
    name=$(printf '%s' "$me" | json_field name)
    printf '{"login":"%s","email":"%s","name":"%s"}' "$admin_user" "$email" "$name" >"$work/body"
    curl -fsS -o /dev/null -X PUT -H "@$work/auth" -H "Content-Type: application/json" --data-binary "@$work/body" "$base/api/users/1" ||
      fail "Grafana refused to rename its admin (user 1) to '$admin_user' (is that login taken by another user?)"
  fi
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  trap - EXIT
  rm -rf "$work"
}

if [ -f "$data_dir/grafana.db" ]; then
  say "existing Grafana database: setting the admin password the stack declares"
  printf '%s\\n' "$GF_SECURITY_ADMIN_PASSWORD" |
    grafana cli --homepath "$home_dir" --config "$config_file" --configOverrides "cfg:default.paths.data=$data_dir" \\
      admin reset-admin-password --password-from-stdin >/dev/null ||
    fail "could not set the admin password of the database in $data_dir (grafana cli admin reset-admin-password failed)"
  previous=$(cat "$login_file" 2>/dev/null || true)
  [ "$previous" = "$admin_user" ] || rename_admin "$previous" "$@"
fi
printf '%s\\n' "$admin_user" >"$login_file"
exec "$upstream" "$@"
`;
}
