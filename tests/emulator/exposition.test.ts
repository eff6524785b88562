import { spawnSync } from "child_process";
import { Engine } from "../../emulator/src/engine/engine";
import { BufferWriter } from "../../emulator/src/exposition/buffer-writer";
import { renderHosts, renderSamples, renderText } from "../../emulator/src/exposition/render";
import { escapeHelp, escapeLabelValue, formatValue, labelText } from "../../emulator/src/exposition/text";
import { autoShardCount, groupPath, shardKey, shardOf } from "../../emulator/src/sinks/grouping";
import { loadScenario } from "../../emulator/src/scenario/loader";
import { describeWith, findBinary } from "../support/servers";
import { engineFor } from "./helpers";

describe("text exposition", () => {
  it("escapes label values and help text as the format requires", () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeHelp("line\\one\nline two")).toBe("line\\\\one\\nline two");
    expect(labelText([["path", 'C:\\"x"'], ["empty", ""]])).toBe('path="C:\\\\\\"x\\"",empty=""');
  });

  it("writes NaN and infinities the Prometheus way, and numbers as JavaScript prints them", () => {
    expect([NaN, Infinity, -Infinity, 0.1, 42, 1e21, -0.000001].map(formatValue)).toEqual(["NaN", "+Inf", "-Inf", "0.1", "42", "1e+21", "-0.000001"]);
  });

  const engine = new Engine(loadScenario("default").scenario, { seed: 42 });
  engine.advanceTo(90_000);
  const { text, series } = renderText(engine.headers, engine.hosts);
  const lines = text.trimEnd().split("\n");

  it("writes each family once, HELP and TYPE before its samples, and no timestamps", () => {
    const names = lines.filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toHaveLength(engine.scenario.families.length);
    let family = "";
    for (const line of lines) {
      if (line.startsWith("# HELP ")) continue;
      if (line.startsWith("# TYPE ")) {
        family = line.split(" ")[2];
        continue;
      }
      const name = line.slice(0, line.indexOf("{"));
      expect([family, `${family}_bucket`, `${family}_sum`, `${family}_count`]).toContain(name);
      // name{labels} value: exactly one field after the labels.
      expect(line.slice(line.lastIndexOf("}") + 1).trim().split(" ")).toHaveLength(1);
    }
    expect(lines.filter((l) => !l.startsWith("#"))).toHaveLength(series);
    expect(series).toBe(104);
  });

  it("gives each host's series its labels", () => {
    expect(lines).toContain('heavy_task_active{host="balancer-01",role="balancer",address="10.0.0.10",environment="sandbox"} 1');
    expect(lines.filter((l) => l.startsWith("memory_usage_percent{") && l.includes('host="worker-01"'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith("db_connections{"))).toHaveLength(1);
  });

  it("renderSamples writes the same sample lines host by host, without headers, and from..to of the hosts", () => {
    const parts: string[] = [];
    const count = renderSamples(engine.hosts, { write: (piece) => parts.push(piece) });
    const byHost = parts.join("").trimEnd().split("\n");
    expect(count).toBe(series);
    expect([...byHost].sort()).toEqual(lines.filter((l) => !l.startsWith("#")).sort());
    // Each host's lines together, hosts in their order.
    const hostOf = (line: string) => /host="([^"]+)"/.exec(line)![1];
    const order = byHost.map(hostOf).filter((h, i, all) => i === 0 || all[i - 1] !== h);
    expect(order).toEqual(engine.hosts.filter((h) => h.active).map((h) => h.name));
    const slice: string[] = [];
    expect(renderSamples(engine.hosts, { write: (piece) => slice.push(piece) }, 1, 3)).toBe(
      byHost.filter((l) => [engine.hosts[1].name, engine.hosts[2].name].includes(hostOf(l))).length,
    );
  });

  it("writes only running hosts", () => {
    const short = engineFor(`hosts: [{name: a, role: r, ttl: 1m, metrics: {x: 1}}, {name: b, role: r, metrics: {x: 1}}]`);
    short.advanceTo(2 * 60_000);
    expect(renderText(short.headers, short.hosts)).toEqual({ text: '# HELP x x (emulated by promemu)\n# TYPE x gauge\nx{host="b",role="r",address="10.0.0.2"} 1\n', series: 1 });
    const parts: string[] = [];
    expect(renderSamples(short.hosts, { write: (piece) => parts.push(piece) })).toBe(1);
    expect(parts.join("")).toBe('x{host="b",role="r",address="10.0.0.2"} 1\n');
  });
});

describe("BufferWriter", () => {
  it("encodes UTF-8, grows past its initial size, and starts over on reset", () => {
    const writer = new BufferWriter(8);
    const pieces = ["a", 'b{site="Zürich"} ', "€", "x".repeat(40_000), "\n"];
    for (const piece of pieces) writer.write(piece);
    expect(writer.bytes().toString("utf8")).toBe(pieces.join(""));
    expect(writer.bytes().length).toBe(Buffer.byteLength(pieces.join("")));
    writer.reset();
    writer.write("y");
    expect(writer.bytes().toString()).toBe("y");
  });

  it("holds the same body as the string rendering", () => {
    const engine = new Engine(loadScenario("hosts-load-with-peaks").scenario, { seed: 4 });
    engine.advanceTo(120_000);
    const writer = new BufferWriter();
    const series = renderHosts(engine.headers, engine.hosts, writer);
    expect({ text: writer.bytes().toString("utf8"), series }).toEqual(renderText(engine.headers, engine.hosts));
  });
});

describeWith(["promtool"])("promtool check metrics", () => {
  // `workers_count` is a gauge named by the stack's contract (the seed's and the Python emulator's
  // name); promtool's linter only suggests a name without `_count` for it. Anything else is a finding.
  const KNOWN_LINT = 'workers_count non-histogram and non-summary metrics should not have "_count" suffix';

  it.each([["default"], ["hosts-load-with-peaks"], ["single-host-load"]])("parses the %s scenario's exposition without findings", (name) => {
    const engine = new Engine(loadScenario(name).scenario, { seed: 1 });
    engine.advanceTo(2 * 60_000);
    const result = spawnSync(findBinary("promtool")!, ["check", "metrics"], { input: renderText(engine.headers, engine.hosts).text, encoding: "utf8" });
    const findings = `${result.stdout}${result.stderr}`.split("\n").filter((line) => line && line !== KNOWN_LINT);
    expect(findings).toEqual([]);
    // 3 is promtool's "lint findings" status; a body it cannot parse exits 1.
    expect([0, 3]).toContain(result.status);
  });
});

describe("Pushgateway grouping keys", () => {
  it("use the @base64 form for values with a slash or empty, URI encoding otherwise", () => {
    expect(groupPath("promemu", shardKey("promemu-dev", 3))).toBe("/metrics/job/promemu/promemu_owner/promemu-dev/promemu_shard/3");
    expect(groupPath("a/b", [["owner", "team/x"]])).toBe(`/metrics/job@base64/${Buffer.from("a/b").toString("base64url")}/owner@base64/dGVhbS94`);
    expect(groupPath("j", [["empty", ""]])).toBe("/metrics/job/j/empty@base64/=");
    expect(groupPath("j", [["who", "a b?c"]])).toBe("/metrics/job/j/who/a%20b%3Fc");
  });

  it("put a host in the same shard every time, and spread hosts evenly", () => {
    expect(shardOf("worker-0042", 16)).toBe(shardOf("worker-0042", 16));
    const counts = new Array(10).fill(0);
    for (let i = 1; i <= 10_000; i++) counts[shardOf(`worker-${String(i).padStart(5, "0")}`, 10)]++;
    for (const c of counts) {
      expect(c).toBeGreaterThan(800);
      expect(c).toBeLessThan(1200);
    }
  });

  it("choose the number of groups from the host count, within bounds", () => {
    expect([1, 2500, 2501, 5002, 10_002, 100_000].map(autoShardCount)).toEqual([1, 1, 2, 3, 5, 8]);
  });
});
