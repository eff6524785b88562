/**
 * The Grafana entry point, run for real by a POSIX shell (busybox sh, as in the Alpine image, when this machine
 * has it) against fake `grafana`, `curl` and `/run.sh` that keep a tiny "database" (the admin's login and
 * password) in files and record every call.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GRAFANA_ADMIN_LOGIN_FILE, renderGrafanaEntrypoint } from "../../config/grafana/entrypoint";

const SHELL = spawnSync("busybox", ["true"]).status === 0 ? ["busybox", "sh"] : ["sh"];

/** The fakes: `grafana cli ... reset-admin-password` stores the password; curl plays Grafana's HTTP API on user 1. */
const FAKES: Record<string, string> = {
  grafana: `#!/bin/sh
echo "grafana $*" >>"$FAKE/calls"
[ -z "\${FAKE_RESET_FAILS:-}" ] || exit 1
IFS= read -r password || true
printf '%s' "$password" >"$FAKE/db/password"
`,
  curl: `#!/bin/sh
header="" method=GET body="" url=""
while [ $# -gt 0 ]; do
  case "$1" in
    -H) case "$2" in @*) header=\${2#@} ;; esac; shift ;;
    -X) method=$2; shift ;;
    --data-binary) body=\${2#@}; shift ;;
    -o) shift ;;
    -*) ;;
    *) url=$1 ;;
  esac
  shift
done
echo "curl $method $url" >>"$FAKE/calls"
case "$url" in */api/health) exit 0 ;; esac
who=$(sed -n 's/^Authorization: Basic //p' "$header" | base64 -d)
login=$(cat "$FAKE/db/login")
password=$(cat "$FAKE/db/password")
[ "$who" = "$login:$password" ] || [ "$who" = "admin@localhost:$password" ] || { echo "curl: (22) 401" >&2; exit 22; }
echo "curl signed in as \${who%%:*}" >>"$FAKE/calls"
case "$method $url" in
  "GET "*/api/user) printf '{"id":1,"email":"admin@localhost","name":"","login":"%s","theme":"","orgId":1,"isGrafanaAdmin":true}' "$login" ;;
  "PUT "*/api/users/1) cat "$body" >"$FAKE/put"; sed -n 's/.*"login":"\\([^"]*\\)".*/\\1/p' "$body" >"$FAKE/db/login" ;;
  *) exit 22 ;;
esac
`,
  "run.sh": `#!/bin/sh
echo "run.sh $* (GF_SECURITY_ADMIN_USER=$GF_SECURITY_ADMIN_USER)" >>"$FAKE/calls"
case "$*" in *cfg:server.http_port=*) exec sleep 30 ;; esac
`,
};

interface Start {
  status: number | null;
  stderr: string;
  calls: string[];
  dbLogin: string;
  dbPassword: string;
  recorded: string | undefined;
  put: string | undefined;
}

function sandbox(db?: { login: string; password: string }, recordedLogin?: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-grafana-ep-"));
  for (const sub of ["bin", "db", "data"]) fs.mkdirSync(path.join(dir, sub));
  for (const [name, text] of Object.entries(FAKES)) fs.writeFileSync(path.join(dir, "bin", name), text, { mode: 0o755 });
  if (db) {
    fs.writeFileSync(path.join(dir, "data", "grafana.db"), "");
    fs.writeFileSync(path.join(dir, "db", "login"), db.login);
    fs.writeFileSync(path.join(dir, "db", "password"), db.password);
  }
  if (recordedLogin !== undefined) fs.writeFileSync(path.join(dir, "data", GRAFANA_ADMIN_LOGIN_FILE), `${recordedLogin}\n`);
  return dir;
}

function start(dir: string, adminUser: string, password: string, env: Record<string, string> = {}): Start {
  const script = path.join(dir, "entrypoint.sh");
  fs.writeFileSync(script, renderGrafanaEntrypoint({ adminUser, upstream: path.join(dir, "bin", "run.sh"), renameTimeoutSeconds: 5 }));
  const result = spawnSync(SHELL[0], [...SHELL.slice(1), script], {
    encoding: "utf8",
    timeout: 20_000,
    env: {
      PATH: `${path.join(dir, "bin")}:${process.env.PATH}`,
      FAKE: dir,
      GF_PATHS_DATA: path.join(dir, "data"),
      GF_SECURITY_ADMIN_PASSWORD: password,
      ...env,
    },
  });
  const read = (file: string) => (fs.existsSync(path.join(dir, file)) ? fs.readFileSync(path.join(dir, file), "utf8") : undefined);
  return {
    status: result.status,
    stderr: result.stderr,
    calls: (read("calls") ?? "").trim().split("\n").filter(Boolean),
    dbLogin: read("db/login") ?? "",
    dbPassword: read("db/password") ?? "",
    recorded: read(`data/${GRAFANA_ADMIN_LOGIN_FILE}`)?.trim(),
    put: read("put"),
  };
}

describe(`the Grafana entry point, run by ${SHELL.join(" ")}`, () => {
  it("leaves a first start (no database) to Grafana, which creates the admin from the environment it exports", () => {
    const run = start(sandbox(), "admin", "first-password-123");
    expect(run.status).toBe(0);
    expect(run.calls).toEqual(["run.sh  (GF_SECURITY_ADMIN_USER=admin)"]);
    expect(run.recorded).toBe("admin");
  });

  it("resets the password of an existing database before Grafana starts, reading it from stdin", () => {
    const run = start(sandbox({ login: "admin", password: "stale-password" }, "admin"), "admin", "new-password-456");
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([
      "grafana cli --homepath /usr/share/grafana --config /etc/grafana/grafana.ini --configOverrides cfg:default.paths.data=" +
        `${run.calls[0].split("paths.data=")[1].split(" ")[0]} admin reset-admin-password --password-from-stdin`,
      "run.sh  (GF_SECURITY_ADMIN_USER=admin)",
    ]);
    expect(run.dbPassword).toBe("new-password-456");
    expect(run.calls.join("\n")).not.toContain("new-password-456");
  });

  it("renames the admin when grafana.adminUser changed, through a loopback-only server, then starts Grafana", () => {
    const run = start(sandbox({ login: "admin", password: "stale-password" }, "admin"), "root", "new-password-456");
    expect(run.status).toBe(0);
    expect(run.dbPassword).toBe("new-password-456");
    expect(run.dbLogin).toBe("root");
    expect(JSON.parse(run.put!)).toEqual({ login: "root", email: "admin@localhost", name: "" });
    expect(run.recorded).toBe("root");
    expect(run.calls).toEqual(
      expect.arrayContaining([
        "run.sh cfg:server.http_addr=127.0.0.1 cfg:server.http_port=3999 (GF_SECURITY_ADMIN_USER=root)",
        "curl signed in as admin",
        "curl PUT http://127.0.0.1:3999/api/users/1",
      ]),
    );
    // The real server comes last, with the image's arguments only.
    expect(run.calls[run.calls.length - 1]).toBe("run.sh  (GF_SECURITY_ADMIN_USER=root)");
    expect(run.calls.join("\n")).not.toContain("new-password-456");
  });

  it("finds the admin by its e-mail when the database came without a record of its login (another stack's backup)", () => {
    const run = start(sandbox({ login: "alice", password: "other-stacks-password" }), "admin", "this-stacks-password");
    expect(run.status).toBe(0);
    expect(run.calls).toContain("curl signed in as admin@localhost");
    expect(run.dbLogin).toBe("admin");
    expect(run.dbPassword).toBe("this-stacks-password");
    expect(run.recorded).toBe("admin");
  });

  it("does not rename when the unrecorded login is already right", () => {
    const run = start(sandbox({ login: "admin", password: "x" }), "admin", "this-stacks-password");
    expect(run.status).toBe(0);
    expect(run.put).toBeUndefined();
    expect(run.calls).toContain("curl signed in as admin");
    expect(run.recorded).toBe("admin");
  });

  it("refuses to start Grafana when the password cannot be set, saying why", () => {
    const run = start(sandbox({ login: "admin", password: "x" }, "admin"), "admin", "this-stacks-password", { FAKE_RESET_FAILS: "1" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("could not set the admin password");
    expect(run.calls.some((c) => c.startsWith("run.sh"))).toBe(false);
  });

  it("refuses to start without the password in its environment", () => {
    const dir = sandbox();
    const run = start(dir, "admin", "");
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("GF_SECURITY_ADMIN_PASSWORD must hold the admin password");
  });
});
