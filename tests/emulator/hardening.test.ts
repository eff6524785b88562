/**
 * Issue 9's emulator items: credentials in the Pushgateway URL are never shown (and still used),
 * a scenario too large to run is refused before anything is built, a closed output ends a command
 * quietly, and the command line's problems are reported all at once.
 */
import { type ChildProcess, spawn, spawnSync } from "child_process";
import * as http from "http";
import type { AddressInfo } from "net";
import { parseRunOptions } from "../../emulator/src/cli/options";
import { parseSetValue } from "../../emulator/src/cli/set";
import { BYTES_PER_SERIES, DEFAULT_MAX_SERIES, capacityProblem, estimateMemory } from "../../emulator/src/scenario/capacity";
import { loadScenario, scenarioSize } from "../../emulator/src/scenario/loader";
import { PushgatewayClient } from "../../emulator/src/sinks/pushgateway";
import { redactUrl, splitCredentials } from "../../emulator/src/util/url";
import { freePort, waitForUrl } from "../support/servers";
import { EMULATOR_BIN, MINUTE, engineFor, rawRunOptions as raw, valueOf } from "./helpers";

function promemu(args: string[], env: Record<string, string> = {}) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PROMEMU_")));
  const result = spawnSync(process.execPath, [EMULATOR_BIN, ...args], { env: { ...base, ...env }, encoding: "utf8", timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("credentials in the Pushgateway URL", () => {
  it.each([
    ["http://user:s3cret@pg:9091", "http://***@pg:9091"],
    ["https://token@pg:9091/prefix", "https://***@pg:9091/prefix"],
    ["http://pg:9091", "http://pg:9091"],
    ["http://us@er:p@ss@pg:9091/x@y", "http://***@pg:9091/x@y"],
    ["not a url user:pass@host", "not a url user:pass@host"],
  ])("redactUrl(%s) shows %s", (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });

  it("are split off into a basic authorization header, and the base URL keeps none", () => {
    expect(splitCredentials("http://us%40er:p%3Ass@pg:9091/prefix/")).toEqual({
      base: "http://pg:9091/prefix",
      authorization: `Basic ${Buffer.from("us@er:p:ss").toString("base64")}`,
      display: "http://***@pg:9091/prefix",
    });
    expect(splitCredentials("http://pg:9091")).toEqual({ base: "http://pg:9091", authorization: undefined, display: "http://pg:9091" });
    expect(new PushgatewayClient({ url: "http://a:b@pg:9091", job: "j", timeoutMs: 1000 }).url).toBe("http://***@pg:9091");
  });

  it("are not quoted in a message about a bad URL", () => {
    expect(() => parseRunOptions(raw({ pushgatewayUrl: "http://user:s3cret@pg:9091/metrics" }))).toThrow('--pushgateway-url "http://***@pg:9091/metrics": give the base URL without /metrics');
    expect(() => parseRunOptions(raw({ pushgatewayUrl: "ftp://user:s3cret@pg" }))).not.toThrow(/s3cret/);
  });

  it("are sent as basic authentication, and shown nowhere: log, /healthz, /metrics, errors", async () => {
    const seen: { method: string; url: string; authorization?: string }[] = [];
    let failuresLeft = 2;
    const pushgateway = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization });
        if (req.method === "GET") {
          res.writeHead(200, { "Content-Type": "application/json" }).end('{"status":"success","data":[]}');
        } else if (req.method === "PUT" && failuresLeft-- > 0) {
          res.writeHead(503).end("try later\n"); // logged as an outage, with the URL
        } else {
          res.writeHead(200).end();
        }
      });
    });
    await new Promise<void>((resolve) => pushgateway.listen(0, "127.0.0.1", resolve));
    const pgPort = (pushgateway.address() as AddressInfo).port;
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [EMULATOR_BIN, "run", "--scenario", "single-host-load", "--listen", `127.0.0.1:${port}`, "--push-interval", "200ms", "--status-interval", "300ms", "--owner", "t"],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PROMEMU_PUSHGATEWAY_URL: `http://promemu:s3cret@127.0.0.1:${pgPort}` } },
    );
    let output = "";
    child.stderr!.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await waitForUrl(`http://127.0.0.1:${port}/healthz`, 20_000, () => output);
      const deadline = Date.now() + 15_000;
      while (!output.includes("is back") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      const health = await (await fetch(`http://127.0.0.1:${port}/healthz`)).text();
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      child.kill("SIGTERM");
      expect(await exited).toBe(0);

      expect(JSON.parse(health).pushgateway.url).toBe(`http://***@127.0.0.1:${pgPort}`);
      expect(output).toContain(`pushing to http://***@127.0.0.1:${pgPort}`);
      expect(output).toContain(`pushgateway http://***@127.0.0.1:${pgPort} unreachable`);
      expect(output).toContain(`removed our 1 group(s) from http://***@127.0.0.1:${pgPort}`);
      for (const shown of [output, health, metrics]) expect(shown).not.toContain("s3cret");
      // Every request, the listing, the PUTs and the DELETE on exit, carried the credentials.
      expect(new Set(seen.map((r) => r.method))).toEqual(new Set(["GET", "PUT", "DELETE"]));
      for (const request of seen) expect(request.authorization).toBe(`Basic ${Buffer.from("promemu:s3cret").toString("base64")}`);
    } finally {
      child.kill("SIGKILL");
      await new Promise((resolve) => pushgateway.close(resolve));
    }
  });
});

describe("a scenario too large to run", () => {
  it("is refused before any host is built, with its estimated series and memory and the option that raises the limit", () => {
    const started = Date.now();
    expect(() => loadScenario("default", ["hosts.count=1e9"])).toThrow(
      /^scenario default expands to 1,000,000,002 hosts and 16,000,000,040 series, which would need about 10\.4 TB of memory .*more than the limit of 1,000,000 series .* raise the limit with --max-series \(PROMEMU_MAX_SERIES\)/,
    );
    // Building a billion hosts would take minutes and all the memory; measuring them takes nothing.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(scenarioSize("default", [["hosts.count", "1000"]])).toEqual({ hosts: 1002, series: 16_040 });
  });

  it("estimates memory from the measured bytes per series", () => {
    expect(estimateMemory(1_000_000) - estimateMemory(0)).toBe(1_000_000 * BYTES_PER_SERIES);
    expect(capacityProblem("x", { hosts: 10, series: DEFAULT_MAX_SERIES }, DEFAULT_MAX_SERIES, "--max-series")).toBeUndefined();
    expect(capacityProblem("x", { hosts: 10, series: 11 }, 10, "promemu:emulator.maxSeries")).toContain("raise the limit with promemu:emulator.maxSeries");
  });

  it("is refused by the CLI (exit 2, no stack trace), and --max-series or PROMEMU_MAX_SERIES moves the limit", () => {
    const refused = promemu(["run", "--listen", ":0", "--set", "hosts.count=1e9"]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("promemu: scenario default expands to 1,000,000,002 hosts and 16,000,000,040 series");
    expect(refused.stderr).not.toMatch(/\n\s+at /);

    expect(promemu(["validate", "default", "--max-series", "100"]).stderr).toContain("104 series, which would need about");
    expect(promemu(["validate", "default", "--max-series", "104"]).status).toBe(0);
    const env = promemu(["run", "--listen", ":0"], { PROMEMU_MAX_SERIES: "50" });
    expect(env.stderr).toContain("raise the limit with PROMEMU_MAX_SERIES");
    expect(env.status).toBe(2);
    expect(promemu(["run", "--listen", ":0", "--max-series", "1e3"]).stderr).toContain('--max-series "1e3": must be a whole number from 1 to 100000000');
  });

  it("timers longer than a day are refused (Node would fire them at once, in a loop)", () => {
    const result = promemu(["run", "--listen", ":0", "--push-interval", "30d", "--status-interval", "1000y", "--push-timeout", "25d"]);
    expect(result.stderr).toContain('--push-interval "30d": must be at most 1d');
    expect(result.stderr).toContain('--status-interval "1000y": must be at most 1d');
    expect(result.stderr).toContain('--push-timeout "25d": must be at most 1d');
    expect(result.status).toBe(2);
  });
});

describe("--set and PROMEMU_SET", () => {
  it("a JSON object carries any value, commas and = included; k=v,k=v still works", () => {
    expect(parseSetValue('{"site": "a,b=c", "hosts.count": 3, "on": true}')).toEqual([
      ["site", "a,b=c"],
      ["hosts.count", "3"],
      ["on", "true"],
    ]);
    expect(parseSetValue("hosts.count=2, peak.length=1m")).toEqual(["hosts.count=2", "peak.length=1m"]);
    expect(() => parseSetValue('{"a": [1]}')).toThrow('"a" must be a string, a number or a boolean');
    expect(() => parseSetValue("{nope")).toThrow("not a valid JSON object");
  });

  it("values from JSON reach the scenario exactly", () => {
    const yaml = "params: {site: x, hosts: {count: 1}}\nlabels: {site: '${site}'}\nhosts: [{name: 'h-{{i}}', count: '${hosts.count}', role: r, metrics: {m: 1}}]\n";
    const engine = engineFor(yaml, 1, parseSetValue('{"site": " a,b=c ", "hosts.count": 2}'));
    expect(engine.hosts.map((h) => h.def.labels.find(([k]) => k === "site")![1])).toEqual([" a,b=c ", " a,b=c "]);
    engine.advanceTo(MINUTE);
    expect(valueOf(engine, "h-02", "m")).toBe(1);
  });
});

describe("a closed output", () => {
  it("ends promemu list quietly (`promemu list | head -1`)", async () => {
    const child: ChildProcess = spawn(process.execPath, [EMULATOR_BIN, "list"], { stdio: ["ignore", "pipe", "pipe"] });
    // The reader goes away before the first line is written: every write meets a closed pipe (EPIPE).
    child.stdout!.destroy();
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });

  it("stops a run as SIGTERM would: its groups removed, exit 0, nothing more written", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [EMULATOR_BIN, "run", "--scenario", "single-host-load", "--listen", `127.0.0.1:${port}`, "--status-interval", "100ms"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    let output = "";
    child.stderr!.on("data", (chunk) => (output += chunk));
    await waitForUrl(`http://127.0.0.1:${port}/healthz`, 20_000, () => output);
    child.stderr!.destroy();
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    expect(await exited).toBe(0);
    clearTimeout(timer);
  });
});

describe("the command line's problems", () => {
  it("are reported all at once, the scenario's included (`run --scenario typo` without a URL)", () => {
    const result = promemu(["run", "--scenario", "typo"]);
    expect(result.stderr).toContain("promemu: nothing to do: give --pushgateway-url");
    expect(result.stderr).toContain('promemu: unknown scenario "typo"');
    expect(result.status).toBe(2);

    const many = promemu(["run", "--listen", "nowhere", "--seed=-1", "--set", "hosts.cnt=3"], { PROMEMU_SPEED: "fast" });
    for (const problem of ['--listen "nowhere"', '--seed "-1"', 'PROMEMU_SPEED "fast"', 'no parameter "hosts.cnt"']) expect(many.stderr).toContain(problem);
    expect(many.stderr.trim().split("\n")).toHaveLength(4);
    expect(many.status).toBe(2);
  });
});
