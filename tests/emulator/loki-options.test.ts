/**
 * `promemu run`'s Loki encoding and tenant (--loki-encoding, --loki-tenant and their PROMEMU_* variables): the
 * values taken, the default, and bad values refused before anything runs (exit 2, the flag or variable named,
 * no stack trace). Tenant rules: Loki's (dskit tenant.ValidTenantID) and VictoriaLogs' (logstorage.ParseTenantID).
 */
import { spawnSync } from "child_process";
import { parseRunOptions, lokiTenantProblem } from "../../emulator/src/cli/options";
import { EMULATOR_BIN, rawRunOptions as raw } from "./helpers";

const LOKI = "http://loki:3100/loki/api/v1/push";
const VICTORIALOGS = "http://logs:9428/insert/loki/api/v1/push";

function promemu(args: string[], env: Record<string, string> = {}) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PROMEMU_")));
  const result = spawnSync(process.execPath, [EMULATOR_BIN, ...args], { env: { ...base, ...env }, encoding: "utf8", timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("--loki-encoding and --loki-tenant, parsed", () => {
  test("protobuf by default, json on request; no tenant unless given", () => {
    expect(parseRunOptions(raw({ lokiUrl: LOKI })).loki).toEqual({ url: LOKI, maxLinesPerRequest: 5000, maxPendingLines: 1_000_000, encoding: "protobuf" });
    expect(parseRunOptions(raw({ lokiUrl: LOKI, lokiEncoding: "json", lokiTenant: "team-a" })).loki).toMatchObject({ encoding: "json", tenant: "team-a" });
    expect(parseRunOptions(raw({ lokiUrl: VICTORIALOGS, lokiEncoding: "protobuf", lokiTenant: "7:3" })).loki).toMatchObject({ encoding: "protobuf", tenant: "7:3" });
    expect(parseRunOptions(raw({ lokiUrl: LOKI, lokiEncoding: "json-gzip" })).loki).toMatchObject({ encoding: "json-gzip" });
  });

  test.each([
    ["team-a", LOKI],
    ["Team_1.prod", LOKI],
    ["a!b*c'(d)", LOKI],
    ["x".repeat(150), LOKI],
    ["42", LOKI],
    ["42", VICTORIALOGS],
    ["0:0", VICTORIALOGS],
    ["4294967295:4294967295", VICTORIALOGS],
  ])("tenant %s for %s is taken", (tenant, url) => {
    expect(lokiTenantProblem(tenant, url)).toBeUndefined();
  });

  test.each([
    ["", LOKI, "must not be empty"],
    ["team a", LOKI, `has " ": a Loki tenant ID is letters, digits and ! - _ . * ' ( ) only`],
    ["a|b", LOKI, `has "|"`],
    ["a/b", LOKI, `has "/"`],
    ["7:3", LOKI, `has ":"`],
    ["é", LOKI, `has "é"`],
    ["..", LOKI, "must not be . or .."],
    ["x".repeat(151), LOKI, "at most 150 characters"],
    ["team-a", VICTORIALOGS, "VictoriaLogs (this URL is its /insert/loki/api/v1/push) reads X-Scope-OrgID as AccountID[:ProjectID]"],
    ["4294967296", VICTORIALOGS, "AccountID[:ProjectID], whole numbers up to 4294967295"],
    ["1:", VICTORIALOGS, "AccountID[:ProjectID]"],
    ["-1", VICTORIALOGS, "AccountID[:ProjectID]"],
  ])("tenant %j for %s is refused: %s", (tenant, url, problem) => {
    expect(lokiTenantProblem(tenant, url)).toContain(problem);
  });

  test("every problem at once, each naming its flag", () => {
    expect(() => parseRunOptions(raw({ lokiUrl: LOKI, lokiEncoding: "xml", lokiTenant: "a b" }))).toThrow(
      '--loki-encoding "xml": must be protobuf, json or json-gzip (the default is protobuf)\n--loki-tenant "a b": has " "',
    );
    expect(() => parseRunOptions(raw({ lokiEncoding: "json", lokiTenant: "a" }))).toThrow(
      "--loki-encoding is for the Loki push: give --loki-url (PROMEMU_LOKI_URL) too\n--loki-tenant is for the Loki push: give --loki-url (PROMEMU_LOKI_URL) too",
    );
  });
});

describe("promemu run: bad Loki encoding or tenant exit 2, naming the flag or the variable", () => {
  test.each([
    [["--loki-url", LOKI, "--loki-encoding", "JSON"], {}, '--loki-encoding "JSON": must be protobuf, json or json-gzip (the default is protobuf)'],
    [["--loki-url", LOKI], { PROMEMU_LOKI_ENCODING: "gzip" }, 'PROMEMU_LOKI_ENCODING "gzip": must be protobuf, json or json-gzip'],
    [["--loki-url", LOKI, "--loki-tenant", "a|b"], {}, `--loki-tenant "a|b": has "|": a Loki tenant ID is letters, digits and ! - _ . * ' ( ) only`],
    [["--loki-url", LOKI], { PROMEMU_LOKI_TENANT: "" }, 'PROMEMU_LOKI_TENANT "": must not be empty (leave it out for no tenant)'],
    [["--loki-url", VICTORIALOGS], { PROMEMU_LOKI_TENANT: "team-a" }, 'PROMEMU_LOKI_TENANT "team-a": VictoriaLogs (this URL is its /insert/loki/api/v1/push) reads X-Scope-OrgID as AccountID[:ProjectID]'],
    [["--listen", ":0", "--loki-tenant", "7"], {}, "--loki-tenant is for the Loki push: give --loki-url (PROMEMU_LOKI_URL) too"],
    [["--listen", ":0"], { PROMEMU_LOKI_ENCODING: "json" }, "PROMEMU_LOKI_ENCODING is for the Loki push: give --loki-url (PROMEMU_LOKI_URL) too"],
  ])("%j %j", (args, env, message) => {
    const result = promemu(["run", ...(args as string[])], env as Record<string, string>);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.status).toBe(2);
  });

  test("--help lists both flags with their variables", () => {
    const result = promemu(["run", "--help"]);
    expect(result.stdout).toMatch(/--loki-encoding <protobuf\|json\|json-gzip>[\s\S]*PROMEMU_LOKI_ENCODING/);
    expect(result.stdout).toMatch(/--loki-tenant <id>[\s\S]*PROMEMU_LOKI_TENANT/);
  });
});
