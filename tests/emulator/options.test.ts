import { Writable } from "stream";
import { parseListen, parseRunOptions } from "../../emulator/src/cli/options";
import { Terminal, formatProgress, formatStatus } from "../../emulator/src/cli/status";
import { rawRunOptions as raw } from "./helpers";

describe("run options", () => {
  it("convert durations, numbers and addresses", () => {
    const options = parseRunOptions(raw({ pushgatewayUrl: "http://pushgateway:9091/", duration: "30m", pushInterval: "500ms", speed: "2.5", shards: "8", owner: "promemu-dev" }));
    expect(options).toMatchObject({
      pushgatewayUrl: "http://pushgateway:9091",
      pushIntervalMs: 500,
      durationMs: 1_800_000,
      speed: 2.5,
      shards: 8,
      owner: "promemu-dev",
      listen: { host: undefined, port: 9464 },
      statusIntervalMs: 60_000,
    });
    expect(parseRunOptions(raw({ duration: "0", shards: "auto" }))).toMatchObject({ durationMs: undefined, shards: undefined });
    expect(parseRunOptions(raw()).owner).toMatch(/^promemu-/);
  });

  it("name the option as the caller says (the CLI names the variable when the value came from it)", () => {
    expect(() => parseRunOptions(raw({ pushInterval: "fast" }), () => "PROMEMU_PUSH_INTERVAL")).toThrow('PROMEMU_PUSH_INTERVAL "fast": must be a duration');
    expect(() => parseRunOptions(raw({ pushInterval: "fast", statusInterval: "x" }))).toThrow('--push-interval "fast": must be a duration');
    expect(() => parseRunOptions(raw({ statusInterval: "x" }))).toThrow('--status-interval "x": must be a duration');
  });

  it.each([
    [":9464", { host: undefined, port: 9464 }],
    ["9464", { host: undefined, port: 9464 }],
    ["127.0.0.1:0", { host: "127.0.0.1", port: 0 }],
    ["[::1]:9464", { host: "::1", port: 9464 }],
    ["0.0.0.0:80", { host: "0.0.0.0", port: 80 }],
  ])("listen %s", (text, expected) => {
    expect(parseListen(text, (problem) => { throw new Error(problem); })).toEqual(expected);
  });
});

describe("status output", () => {
  it("a status line with hosts, series, pushes and the last push's latency", () => {
    expect(
      formatStatus({ scenarioTimeMs: 330_450, durationMs: 1_800_000, hostsActive: 5, hostsTotal: 6, series: 94, pushesOk: 22, pushesFailed: 3, lastPushMs: 12.4, pushgateway: "ok" }),
    ).toBe("status: t=5m30s of 30m, hosts 5/6 active, 94 series, pushes 22 ok / 3 failed, last push 12 ms, pushgateway ok");
    expect(formatStatus({ scenarioTimeMs: 0, hostsActive: 1, hostsTotal: 1, series: 3, pushesOk: 0, pushesFailed: 0, pushgateway: "disabled" })).toBe("status: t=0s, hosts 1/1 active, 3 series");
  });

  it("a progress bar for a bounded run", () => {
    expect(formatProgress(450_000, 1_800_000, 20)).toBe("[#####---------------]  25% 7m30s / 30m");
    expect(formatProgress(2_000_000, 1_800_000, 10)).toBe("[##########] 100% 33m20s / 30m");
  });

  it("log lines go above the progress bar on a terminal", () => {
    let written = "";
    const stream = Object.assign(new Writable({ write: (chunk, _enc, done) => ((written += chunk), done()) }), { isTTY: true }) as unknown as NodeJS.WriteStream;
    const terminal = new Terminal(stream, () => new Date("2026-01-02T03:04:05.678Z"));
    terminal.log("first");
    terminal.showProgress("[#--] 33%");
    terminal.log("second");
    terminal.clearProgress();
    expect(written).toBe("2026-01-02T03:04:05Z promemu: first\n\r\x1b[2K[#--] 33%\r\x1b[2K2026-01-02T03:04:05Z promemu: second\n[#--] 33%\r\x1b[2K");
    expect(terminal.interactive).toBe(true);
  });
});
