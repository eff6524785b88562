/** The promemu command as users run it: `node emulator/bin/promemu.js` (built by `npm run build`). */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { BUILTIN_SCENARIOS } from "../../config/settings";
import { freePort, waitForUrl } from "../support/servers";
import { EMULATOR_BIN, tempFile } from "./helpers";

/** Runs the CLI with a clean PROMEMU_* environment plus `env`. */
function promemu(args: string[], env: Record<string, string> = {}) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PROMEMU_")));
  const result = spawnSync(process.execPath, [EMULATOR_BIN, ...args], { env: { ...base, ...env }, encoding: "utf8", timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Bad input: exit 2, one message on stderr, no stack trace. */
function expectUsageError(result: ReturnType<typeof promemu>, message: string): void {
  expect(result.stderr).toContain(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.status).toBe(2);
}

describe("promemu list and validate", () => {
  it("list shows every built-in scenario with its parameters", () => {
    const result = promemu(["list"]);
    expect(result.status).toBe(0);
    for (const name of BUILTIN_SCENARIOS) expect(result.stdout).toMatch(new RegExp(`^${name}$`, "m"));
    expect(result.stdout).toContain("parameters: hosts.count=4, peak.first=60s, peak.every=10m, peak.length=4m");
    expect(result.stdout).toContain("6 hosts in 3 roles (balancer, worker, database), 20 metrics, 104 series per push");
  });

  it("validate says what a valid file holds and exits 0", () => {
    const file = tempFile("ok.yaml", "hosts: [{name: a, role: r, metrics: {x: 1}}]\n");
    const result = promemu(["validate", file]);
    expect(result.stdout).toBe(`${file}: valid scenario "ok": 1 host in 1 role (r), 1 metrics, 1 series per push\n`);
    expect(result.status).toBe(0);
    expect(promemu(["validate", "default", "--set", "hosts.count=50"]).stdout).toContain("52 hosts in 3 roles");
    fs.rmSync(path.dirname(file), { recursive: true });
  });

  it.each([
    ["broken YAML", "hosts:\n  - name: a\n   role: r\n", ":3:4: not valid YAML: bad indentation of a sequence entry"],
    ["an unknown generator", "hosts: [{name: a, role: r, metrics: {x: {generator: {type: perlin}}}}]", ': hosts[0].metrics.x.generator.type: unknown generator "perlin"'],
    ["a bad duration", "hosts: [{name: a, role: r, ttl: 5 minutes, metrics: {x: 1}}]", ": hosts[0].ttl: must be a duration"],
    ["min above max", "hosts: [{name: a, role: r, metrics: {x: {generator: {type: uniform, min: 9, max: 1}}}}]", ": hosts[0].metrics.x.generator.min: must be <= max"],
  ])("validate refuses %s with exit 2, naming the file and the path", (_, yaml, message) => {
    const file = tempFile("bad.yaml", yaml);
    expectUsageError(promemu(["validate", file]), `promemu: ${file}${message}`);
    fs.rmSync(path.dirname(file), { recursive: true });
  });

  it("an unknown scenario name lists the built-in ones", () => {
    expectUsageError(promemu(["validate", "defualt"]), `unknown scenario "defualt": the built-in scenarios are ${[...BUILTIN_SCENARIOS].sort().join(", ")}`);
  });
});

describe("promemu run: bad options exit 2 with the flag or variable named", () => {
  it.each([
    [["run", "--pushgateway-url", "ftp://pg:9091"], {}, '--pushgateway-url "ftp://pg:9091": the scheme ftp is not supported; use http:// or https://'],
    [["run", "--pushgateway-url", "not a url"], {}, '--pushgateway-url "not a url": is not a URL'],
    [["run", "--pushgateway-url", "http://pg:9091/metrics"], {}, "give the base URL without /metrics"],
    [["run", "--listen", ":9464", "--push-interval", "soon"], {}, '--push-interval "soon": must be a duration such as 500ms'],
    [["run", "--listen", ":9464", "--push-interval", "0s"], {}, '--push-interval "0s": must be longer than 0s'],
    [["run", "--listen", ":9464"], { PROMEMU_SEED: "-3" }, 'PROMEMU_SEED "-3": must be a whole number from 0 to 4294967295'],
    [["run", "--listen", ":9464"], { PROMEMU_SPEED: "fast" }, 'PROMEMU_SPEED "fast": must be a number above 0'],
    [["run", "--listen", "localhost"], {}, '--listen "localhost": must be [host]:port, e.g. :9464 or 127.0.0.1:9464'],
    [["run", "--listen", ":99999"], {}, '--listen ":99999": the port must be 0-65535'],
    [["run", "--listen", ":0", "--shards", "0"], {}, '--shards "0": must be auto or a whole number from 1 to 1024'],
    [["run"], {}, "nothing to do: give --pushgateway-url (PROMEMU_PUSHGATEWAY_URL) to push, --listen (PROMEMU_LISTEN) to be scraped"],
    [["run", "--listen", ":0", "--scenario", "nope"], {}, 'unknown scenario "nope": the built-in scenarios are'],
    [["run", "--listen", ":0"], { PROMEMU_SET: "hosts.count=2,peak.lenght=1m" }, 'PROMEMU_SET peak.lenght=1m: scenario default has no parameter "peak.lenght"'],
    [["run", "--bogus"], {}, "error: unknown option '--bogus'"],
  ])("%j %j", (args, env, message) => {
    expectUsageError(promemu(args as string[], env as Record<string, string>), message);
  });

  it("a missing build is explained, not a stack trace", () => {
    const dir = fs.mkdtempSync(path.join(require("os").tmpdir(), "promemu-nobuild-"));
    fs.mkdirSync(path.join(dir, "bin"));
    fs.copyFileSync(EMULATOR_BIN, path.join(dir, "bin", "promemu.js"));
    const result = spawnSync(process.execPath, [path.join(dir, "bin", "promemu.js"), "list"], { encoding: "utf8" });
    expect(result.stderr).toContain("the emulator is not built yet. Run `npm run build`");
    expect(result.status).toBe(2);
    fs.rmSync(dir, { recursive: true });
  });
});

describe("promemu run without a Pushgateway (pull mode)", () => {
  it("serves the emulated series, plays a bounded duration at speed and exits 0", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [EMULATOR_BIN, "run", "--listen", `127.0.0.1:${port}`, "--duration", "2m", "--speed", "40", "--push-interval", "250ms", "--scenario", "single-host-load"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stderr.on("data", (c) => (output += c));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await waitForUrl(`http://127.0.0.1:${port}/healthz`, 20_000, () => output);
    const text = await (await fetch(`http://127.0.0.1:${port}/emulated`)).text();
    expect(text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split("{")[0])).toEqual(["cpu_usage_percent", "memory_usage_percent", "disk_io_util_percent"]);
    const health = await (await fetch(`http://127.0.0.1:${port}/healthz`)).json();
    expect(health).toMatchObject({ status: "ok", scenario: "single-host-load", hostsActive: 1, pushgateway: { url: null, state: "disabled" } });
    expect(await exited).toBe(0);
    expect(output).toContain("not pushing (no --pushgateway-url)");
    expect(output).toContain("scenario time 2m reached; stopping");
    // Not a terminal: no progress bar control sequences in the log.
    expect(output).not.toContain("\x1b[");
  });
});
