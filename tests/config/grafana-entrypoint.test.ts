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
import { findOnPath } from "../../emulator/src/util/programs";

const SHELL = spawnSync("busybox", ["true"]).status === 0 ? ["busybox", "sh"] : ["sh"];

/**
 * The fakes. `grafana cli ... reset-admin-password` stores the password (or, with FAKE_RESET_NOOP, says what Grafana
 * 11.3+ says when user 1 is missing and exits 0 without setting anything). curl plays Grafana's HTTP API on user 1:
 * GET /api/user answers as Go's encoding/json would, the e-mail and name being the JSON string literals in
 * db/email.json and db/name.json (placed before "id" so that a name holding `"id":2` is met first); PUT /api/users/1
 * keeps the body (the test decodes it, as Grafana would) and takes its login.
 */
const FAKES: Record<string, string> = {
  grafana: `#!/bin/sh
echo "grafana $*" >>"$FAKE/calls"
[ -z "\${FAKE_RESET_FAILS:-}" ] || exit 1
IFS= read -r password || true
if [ -n "\${FAKE_RESET_NOOP:-}" ]; then echo "Admin user cannot be found x."; exit 0; fi
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
  "GET "*/api/user) printf '{"email":%s,"name":%s,"id":1,"login":"%s","theme":"","orgId":1,"isGrafanaAdmin":true}' "$(cat "$FAKE/db/email.json")" "$(cat "$FAKE/db/name.json")" "$login" ;;
  "PUT "*/api/users/1) cat "$body" >"$FAKE/put"; sed -n 's/.*"login":"\\([^"]*\\)".*/\\1/p' "$body" >"$FAKE/db/login" ;;
  *) exit 22 ;;
esac
`,
  "run.sh": `#!/bin/sh
echo "run.sh $* (GF_SECURITY_ADMIN_USER=$GF_SECURITY_ADMIN_USER)" >>"$FAKE/calls"
case "$*" in *cfg:server.http_port=*) exec sleep 30 ;; esac
`,
};

/** The Alpine image's tools are busybox's: with busybox here, the script gets its grep, sed, tr, base64, head and tail. */
const BUSYBOX_TOOLS = ["grep", "sed", "tr", "base64", "head", "tail", "mktemp", "cat"];

interface Start {
  status: number | null;
  stderr: string;
  calls: string[];
  dbLogin: string;
  dbPassword: string;
  recorded: string | undefined;
  put: string | undefined;
}

interface Db {
  login: string;
  password: string;
  email?: string;
  name?: string;
}

const sandboxes: string[] = [];
afterAll(() => {
  for (const dir of sandboxes) fs.rmSync(dir, { recursive: true, force: true });
});

function sandbox(db?: Db, recordedLogin?: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-grafana-ep-"));
  sandboxes.push(dir);
  for (const sub of ["bin", "db", "data"]) fs.mkdirSync(path.join(dir, sub));
  for (const [name, text] of Object.entries(FAKES)) fs.writeFileSync(path.join(dir, "bin", name), text, { mode: 0o755 });
  if (SHELL[0] === "busybox") {
    const busybox = findOnPath("busybox", process.env.PATH ?? "")!;
    for (const tool of BUSYBOX_TOOLS) fs.symlinkSync(busybox, path.join(dir, "bin", tool));
  }
  if (db) {
    fs.writeFileSync(path.join(dir, "data", "grafana.db"), "");
    fs.writeFileSync(path.join(dir, "db", "login"), db.login);
    fs.writeFileSync(path.join(dir, "db", "password"), db.password);
    fs.writeFileSync(path.join(dir, "db", "email.json"), goJson(db.email ?? "admin@localhost"));
    fs.writeFileSync(path.join(dir, "db", "name.json"), goJson(db.name ?? ""));
  }
  if (recordedLogin !== undefined) fs.writeFileSync(path.join(dir, "data", GRAFANA_ADMIN_LOGIN_FILE), `${recordedLogin}\n`);
  return dir;
}

/** A JSON string literal as Go's encoding/json writes it: <, > and & escaped as \u003c, \u003e, \u0026. */
function goJson(text: string): string {
  return JSON.stringify(text).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

function start(dir: string, adminUser: string, password: string, env: Record<string, string> = {}): Start {
  const script = path.join(dir, "entrypoint.sh");
  fs.writeFileSync(script, renderGrafanaEntrypoint({ adminUser, upstream: path.join(dir, "bin", "run.sh"), checkTimeoutSeconds: 5 }));
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

const LOOPBACK = "run.sh cfg:server.http_addr=127.0.0.1 cfg:server.http_port=3999";

describe(`the Grafana entry point, run by ${SHELL.join(" ")}`, () => {
  it("leaves a first start (no database) to Grafana, which creates the admin from the environment it exports", () => {
    const run = start(sandbox(), "admin", "first-password-123");
    expect(run.status).toBe(0);
    expect(run.calls).toEqual(["run.sh  (GF_SECURITY_ADMIN_USER=admin)"]);
    expect(run.recorded).toBe("admin");
  });

  it("resets the password of an existing database from stdin, signs in with it on a loopback-only server, then starts Grafana", () => {
    const run = start(sandbox({ login: "admin", password: "stale-password" }, "admin"), "admin", "new-password-456");
    expect(run.status).toBe(0);
    expect(run.calls[0]).toMatch(
      /^grafana cli --homepath \/usr\/share\/grafana --config \/etc\/grafana\/grafana.ini --configOverrides cfg:default.paths.data=\S+ admin reset-admin-password --password-from-stdin$/,
    );
    // The loopback server logs its start in the background, so its line may come before or after the first health probe.
    expect(run.calls).toContain(`${LOOPBACK} (GF_SECURITY_ADMIN_USER=admin)`);
    expect(run.calls.slice(1).filter((c) => !c.startsWith(LOOPBACK))).toEqual([
      "curl GET http://127.0.0.1:3999/api/health",
      "curl GET http://127.0.0.1:3999/api/user",
      "curl signed in as admin",
      "run.sh  (GF_SECURITY_ADMIN_USER=admin)",
    ]);
    expect(run.dbPassword).toBe("new-password-456");
    expect(run.put).toBeUndefined();
    expect(run.calls.join("\n")).not.toContain("new-password-456");
  });

  it("refuses to start Grafana when the CLI reports success but the password does not sign in (Grafana 11.3+ exits 0 on failure)", () => {
    const run = start(sandbox({ login: "admin", password: "stale-password" }, "admin"), "admin", "new-password-456", { FAKE_RESET_NOOP: "1" });
    expect(run.status).toBe(1);
    expect(run.dbPassword).toBe("stale-password");
    expect(run.stderr).toContain("the admin password the stack declares does not sign in");
    expect(run.stderr).toContain("exits 0 even when it sets nothing");
    expect(run.stderr).toContain("Admin user cannot be found");
    expect(run.calls).not.toContain("run.sh  (GF_SECURITY_ADMIN_USER=admin)");
    expect(run.recorded).toBe("admin");
    expect(run.stderr).not.toContain("new-password-456");
  });

  it("renames the admin when grafana.adminUser changed, through the loopback-only server, then starts Grafana", () => {
    const run = start(sandbox({ login: "admin", password: "stale-password" }, "admin"), "root", "new-password-456");
    expect(run.status).toBe(0);
    expect(run.dbPassword).toBe("new-password-456");
    expect(run.dbLogin).toBe("root");
    expect(JSON.parse(run.put!)).toEqual({ login: "root", email: "admin@localhost", name: "" });
    expect(run.recorded).toBe("root");
    expect(run.calls).toEqual(
      expect.arrayContaining([
        `${LOOPBACK} (GF_SECURITY_ADMIN_USER=root)`,
        "curl signed in as admin",
        "curl PUT http://127.0.0.1:3999/api/users/1",
        "curl signed in as root",
      ]),
    );
    // The real server comes last, with the image's arguments only.
    expect(run.calls[run.calls.length - 1]).toBe("run.sh  (GF_SECURITY_ADMIN_USER=root)");
    expect(run.calls.join("\n")).not.toContain("new-password-456");
  });

  it.each([
    ["quotes, commas and braces", 'ops@example.com", "isGrafanaAdmin": false, "x": {"a', 'O"Brien, {"id":2}, "login":"evil"'],
    ["backslashes and Go's \\u escapes", "a\\b\\\\@example.com", 'Team \\ <ops> & "on call" \\'],
    ["a name ending in a backslash", "admin@localhost", "trailing\\"],
  ])("keeps the admin's e-mail and name unchanged through a rename: %s", (_what, email, name) => {
    const run = start(sandbox({ login: "admin", password: "x", email, name }, "admin"), "root", "new-password-456");
    expect(run.status).toBe(0);
    expect(run.put).toBeDefined();
    expect(JSON.parse(run.put!)).toEqual({ login: "root", email, name });
    expect(run.dbLogin).toBe("root");
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

  it("renames when the database's login drifted although the record says it is right", () => {
    const run = start(sandbox({ login: "alice", password: "x" }, "admin"), "admin", "this-stacks-password");
    expect(run.status).toBe(0);
    expect(JSON.parse(run.put!)).toEqual({ login: "admin", email: "admin@localhost", name: "" });
    expect(run.dbLogin).toBe("admin");
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
