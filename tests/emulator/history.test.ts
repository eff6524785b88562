/**
 * `promemu history write` and `rules` on their own (emulator/src/cli/history.ts): written once per data directory,
 * never into one that holds other data, finishing what an interrupted run left, and refusing bad input by name.
 * (Against the real Prometheus: history-prometheus.test.ts.)
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MARKER_FILE, STAGING_DIR, readRecord } from "../../emulator/src/backfill/data-dir";
import { readRecordingGroups, ruleKey } from "../../emulator/src/backfill/rules";
import { describeWith } from "../support/servers";
import { EMULATOR_BIN } from "./helpers";

const STEP = 15_000;

function promemu(args: string[], env: Record<string, string> = {}): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [EMULATOR_BIN, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
  return { status: r.status, out: r.stdout + r.stderr };
}

const blocks = (dir: string) => fs.readdirSync(dir).filter((e) => fs.existsSync(path.join(dir, e, "meta.json"))).sort();

describeWith(["promtool"])("promemu history write", () => {
  let root: string;
  const startAt = new Date(Math.floor((Date.now() - 3 * 3_600_000) / STEP) * STEP).toISOString();
  const write = (data: string, ...extra: string[]) => promemu(["history", "write", "--data", data, "--start-at", startAt, "--owner", "t", "--set", "hosts.count=2", ...extra]);

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-history-"));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it("writes [start, now) as blocks with a record of what it wrote, then writes nothing the second time", () => {
    const data = path.join(root, "once");
    const first = write(data);
    expect(first).toMatchObject({ status: 0 });
    expect(first.out).toMatch(/history written into .*: 3h\S* of default/);
    const record = readRecord(data)!;
    expect(record.identity).toEqual({ scenario: "default", set: ["hosts.count=2"], seed: 42, startAt, stepSeconds: 15, sink: "pushgateway", job: "promemu", owner: "t", replicas: 1 });
    expect(record.from).toBe(startAt);
    expect(Date.now() - Date.parse(record.to)).toBeLessThan(2 * STEP + 10_000);
    expect(record.blocks).toEqual(blocks(data));
    expect(record.blocks.length).toBeGreaterThanOrEqual(2);
    expect(record.samples).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(data, STAGING_DIR))).toBe(false);

    const second = write(data);
    expect(second).toMatchObject({ status: 0 });
    expect(second.out).toMatch(/history already in .*nothing to do/);
    expect(blocks(data)).toEqual(record.blocks);
    expect(readRecord(data)).toEqual(record);
  });

  it("keeps a history written with other settings, and says which differ as a warning", () => {
    const data = path.join(root, "other");
    expect(write(data)).toMatchObject({ status: 0 });
    const before = blocks(data);
    const other = write(data, "--seed", "7");
    expect(other).toMatchObject({ status: 0 });
    expect(other.out).toMatch(/warning: .* already holds a history written with other settings \(seed 42 -> 7\); it is kept as it is/);
    expect(blocks(data)).toEqual(before);
  });

  it("writes nothing into a directory that holds Prometheus data from before", () => {
    const data = path.join(root, "scraped");
    fs.mkdirSync(path.join(data, "wal"), { recursive: true });
    fs.writeFileSync(path.join(data, "wal", "00000000"), "x");
    const r = write(data);
    expect(r).toMatchObject({ status: 0 });
    expect(r.out).toMatch(/warning: .* already holds Prometheus data \(wal\), so no history is written/);
    expect(fs.readdirSync(data)).toEqual(["wal"]);
  });

  it("finishes the renames of a run cut short after its record was written", () => {
    const data = path.join(root, "interrupted");
    expect(write(data)).toMatchObject({ status: 0 });
    const record = readRecord(data)!;
    // As if the run had stopped before moving its last two blocks.
    fs.mkdirSync(path.join(data, STAGING_DIR));
    for (const block of record.blocks.slice(-2)) fs.renameSync(path.join(data, block), path.join(data, STAGING_DIR, block));
    const again = write(data);
    expect(again.out).toMatch(/finished putting 2 block\(s\) of an interrupted run in place/);
    expect(blocks(data)).toEqual(record.blocks);
    expect(fs.existsSync(path.join(data, STAGING_DIR))).toBe(false);
  });

  it("takes the start from PROMEMU_START_AT, as the stack gives it", () => {
    const data = path.join(root, "env");
    const r = promemu(["history", "write", "--data", data, "--owner", "t", "--set", "hosts.count=2"], { PROMEMU_START_AT: startAt });
    expect(r).toMatchObject({ status: 0 });
    expect(readRecord(data)!.from).toBe(startAt);
  });

  it("refuses bad input with every problem at once, naming each option: exit 2, nothing written, no stack trace", () => {
    const data = path.join(root, "bad");
    const r = promemu(["history", "write", "--data", data, "--start-at", "next week", "--sink", "kafka", "--replicas", "0", "--step", "0s"]);
    expect(r.status).toBe(2);
    expect(r.out).toMatch(/--replicas "0": must be a whole number from 1 to 100000/);
    expect(r.out).toMatch(/--start-at "next week": must be an RFC 3339 time/);
    expect(r.out).toMatch(/--sink "kafka": must be one of pushgateway, remote-write/);
    expect(r.out).toMatch(/--step "0s"/);
    expect(r.out).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(data)).toBe(false);
    const future = promemu(["history", "write", "--data", data, "--start-at", new Date(Date.now() + 3_600_000).toISOString()]);
    expect(future.status).toBe(2);
    expect(future.out).toMatch(/--start-at ".*": must be in the past/);
  });

  it("refuses a record it cannot read, naming the file", () => {
    const data = path.join(root, "garbled");
    fs.mkdirSync(data);
    fs.writeFileSync(path.join(data, MARKER_FILE), "{not json");
    const r = write(data);
    expect(r.status).toBe(2);
    expect(r.out).toContain(`${path.join(data, MARKER_FILE)}: is not a promemu history record`);
  });
});

describe("promemu history rules, before Prometheus is involved", () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-history-rules-"));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it("reads the recording rules of rule files, leaving alerting rules out; a rule is the same rule whatever its spacing", () => {
    const file = path.join(root, "rules.yml");
    fs.writeFileSync(
      file,
      "groups:\n  - name: a\n    interval: 30s\n    rules:\n      - record: x:sum\n        expr: sum(x)\n      - alert: A\n        expr: up == 0\n  - name: only-alerts\n    rules:\n      - alert: B\n        expr: vector(1)\n",
    );
    expect(readRecordingGroups([file])).toEqual([{ name: "a", interval: "30s", rules: [{ record: "x:sum", expr: "sum(x)" }] }]);
    expect(ruleKey({ record: "x:sum", expr: " sum(x)\n" })).toBe(ruleKey({ record: "x:sum", expr: "sum(x)" }));
    expect(ruleKey({ record: "x:sum", expr: "sum(x)", labels: { a: "1" } })).not.toBe(ruleKey({ record: "x:sum", expr: "sum(x)" }));
  });

  it("has nothing to evaluate without a history in the directory", () => {
    const file = path.join(root, "r.yml");
    fs.writeFileSync(file, "groups:\n  - name: a\n    rules:\n      - record: x:sum\n        expr: sum(x)\n");
    const r = promemu(["history", "rules", "--data", path.join(root, "empty"), "--url", "http://127.0.0.1:9", file]);
    expect(r).toMatchObject({ status: 0 });
    expect(r.out).toMatch(/no promemu history in .*: no recording rules to evaluate over it/);
  });

  it("refuses bad input by name: missing files, a bad URL, a rule file that is not one", () => {
    const notRules = path.join(root, "not-rules.yml");
    fs.writeFileSync(notRules, "hello: world\n");
    const r = promemu(["history", "rules", "--url", "prometheus:9090", path.join(root, "missing.yml")]);
    expect(r.status).toBe(2);
    expect(r.out).toMatch(/--data is required/);
    expect(r.out).toMatch(/--url "prometheus:9090": must be an http:\/\/ or https:\/\/ URL/);
    expect(r.out).toMatch(/missing\.yml: no such rule file/);
    const bad = promemu(["history", "rules", "--data", root, "--url", "http://127.0.0.1:9", notRules]);
    expect(bad.status).toBe(2);
    expect(bad.out).toContain(`${notRules}: is not a Prometheus rule file (no groups list)`);
  });
});
