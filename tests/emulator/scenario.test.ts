import * as fs from "fs";
import * as path from "path";
import { BUILTIN_SCENARIOS } from "../../config/settings";
import { BUILTIN_DIR, builtinScenarios, loadScenario, resolveScenarioFile } from "../../emulator/src/scenario/loader";
import { compile, scenarioError, tempFile } from "./helpers";

const COMMON = [
  "cpu_usage_percent",
  "memory_usage_percent",
  "memory_usage_bytes",
  "disk_usage_percent",
  "disk_usage_bytes",
  "disk_io_util_percent",
  "disk_io_ops_per_second",
  "network_receive_bytes_total",
  "network_transmit_bytes_total",
  "network_packet_loss_percent",
  "network_latency_seconds",
  "host_uptime_seconds",
];

describe("built-in scenarios", () => {
  it("are the ones the stack settings offer", () => {
    expect(builtinScenarios()).toEqual([...BUILTIN_SCENARIOS].sort());
    expect(fs.readdirSync(BUILTIN_DIR).sort()).toEqual(BUILTIN_SCENARIOS.map((name) => `${name}.yaml`).sort());
  });

  it.each(BUILTIN_SCENARIOS.map((name) => [name]))("%s is valid and names itself", (name) => {
    const { scenario } = loadScenario(name);
    expect(scenario.name).toBe(name);
    expect(scenario.description.length).toBeGreaterThan(20);
    for (const host of scenario.hosts) expect(host.labels.map(([label]) => label).slice(0, 3)).toEqual(["host", "role", "address"]);
  });

  it("default: the contract's hosts, roles, labels and series", () => {
    const { scenario } = loadScenario("default");
    expect(scenario.hosts.map((h) => [h.name, h.shape.role])).toEqual([
      ["balancer-01", "balancer"],
      ["worker-01", "worker"],
      ["worker-02", "worker"],
      ["worker-03", "worker"],
      ["worker-04", "worker"],
      ["db-01", "database"],
    ]);
    for (const host of scenario.hosts) {
      expect(Object.fromEntries(host.labels)).toEqual({ host: host.name, role: host.shape.role, address: expect.stringMatching(/^10\.0\.\d+\.\d+$/), environment: "sandbox" });
    }
    const metrics = (role: string) => scenario.hosts.find((h) => h.shape.role === role)!.shape.metrics.map((m) => m.name).sort();
    expect(metrics("balancer")).toEqual([...COMMON, "heavy_task_active", "http_requests_total", "http_request_duration_seconds"].sort());
    expect(metrics("worker")).toEqual([...COMMON, "gpu_usage_percent", "gpu_memory_usage_percent", "workers_count", "workers_uptime_seconds"].sort());
    expect(metrics("database")).toEqual([...COMMON, "db_connections"].sort());
    const types = Object.fromEntries(scenario.families.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      network_receive_bytes_total: "counter",
      network_transmit_bytes_total: "counter",
      http_requests_total: "counter",
      http_request_duration_seconds: "histogram",
      network_latency_seconds: "gauge",
      heavy_task_active: "gauge",
    });
    // Every worker carries at least 16 series (the benchmark's premise).
    expect(metrics("worker").length).toBeGreaterThanOrEqual(16);
  });

  it("hosts-load-with-peaks: workers with the 15 metrics of the Python example, burst hosts started by the peak", () => {
    const { scenario } = loadScenario("hosts-load-with-peaks");
    const worker = scenario.hosts.find((h) => h.name === "worker-01")!;
    expect(worker.shape.metrics).toHaveLength(15);
    expect(Object.fromEntries(worker.labels).fqdn).toBe("worker-01.emulation.local");
    const burst = scenario.hosts.find((h) => h.name === "burst-01")!;
    expect(burst.shape.startOn).toEqual({ event: "peak_start", source: "balancer-01" });
    expect(burst.shape.stopOn).toEqual({ event: "peak_end", source: "balancer-01" });
  });

  it("single-host-load: one host, three metrics with three different generators", () => {
    const { scenario } = loadScenario("single-host-load");
    expect(scenario.hosts).toHaveLength(1);
    const kinds = scenario.hosts[0].shape.metrics.map((m) => (m.spec.type === "gauge" ? m.spec.generator.type : m.spec.type));
    expect(new Set(kinds).size).toBe(3);
  });

  it("an unknown name lists the built-in scenarios", () => {
    expect(() => resolveScenarioFile("defualt")).toThrow(
      `unknown scenario "defualt": the built-in scenarios are ${[...BUILTIN_SCENARIOS].sort().join(", ")} (or give the path of a YAML file)`,
    );
    expect(() => resolveScenarioFile("./nowhere.yaml")).toThrow("scenario file ./nowhere.yaml does not exist");
  });

  it("a file path is read from disk, named after the file", () => {
    const file = tempFile("mine.yaml", "hosts: [{name: a, role: r, metrics: {x: 1}}]\n");
    expect(loadScenario(file).scenario.name).toBe("mine");
    expect(resolveScenarioFile(file)).toEqual({ file, name: "mine" });
    fs.rmSync(path.dirname(file), { recursive: true });
  });
});

describe("host templates", () => {
  it("number hosts with zero padding and count addresses up", () => {
    const { hosts } = compile(`hosts: [{name: "worker-{{i}}", count: 3, role: worker, address: 10.0.1.254, labels: {slot: "s{{i}}"}, metrics: {x: 1}}]`);
    expect(hosts.map((h) => Object.fromEntries(h.labels))).toEqual([
      { host: "worker-01", role: "worker", address: "10.0.1.254", slot: "s01" },
      { host: "worker-02", role: "worker", address: "10.0.1.255", slot: "s02" },
      { host: "worker-03", role: "worker", address: "10.0.2.0", slot: "s03" },
    ]);
  });

  it("pad to the width of the largest number, from `start`", () => {
    const names = compile(`hosts: [{name: "w{{i}}", count: 100, start: 1, role: r, metrics: {x: 1}}]`).hosts.map((h) => h.name);
    expect([names[0], names[8], names[99]]).toEqual(["w001", "w009", "w100"]);
    expect(compile(`hosts: [{name: "w{{i}}", count: 2, start: 0, role: r, metrics: {x: 1}}]`).hosts.map((h) => h.name)).toEqual(["w00", "w01"]);
  });

  it("give hosts without an address 10.0.0.1, 10.0.0.2, ... and a template of count 0 no hosts", () => {
    const { hosts } = compile(`hosts: [{name: a, role: r, metrics: {x: 1}}, {name: "b{{i}}", count: 0, role: r, metrics: {x: 1}}, {name: c, role: r, metrics: {x: 1}}]`);
    expect(hosts.map((h) => [h.name, Object.fromEntries(h.labels).address])).toEqual([
      ["a", "10.0.0.1"],
      ["c", "10.0.0.2"],
    ]);
  });

  it("merge metrics: every host, then the role, then the host itself", () => {
    const { hosts } = compile(`
metrics: {a: 1, b: 1}
roles: {r: {metrics: {b: 2, c: 2}}}
hosts: [{name: h, role: r, metrics: {c: 3, d: 3}}]`);
    const values = Object.fromEntries(hosts[0].shape.metrics.map((m) => [m.name, m.spec.type === "gauge" && m.spec.generator.type === "constant" ? m.spec.generator.value : NaN]));
    expect(values).toEqual({ a: 1, b: 2, c: 3, d: 3 });
  });

  it("refuse duplicate names, a count without {{i}}, and too many hosts", () => {
    expect(scenarioError(`hosts: [{name: "w{{i}}", count: 2, role: r, metrics: {x: 1}}, {name: w02, role: r, metrics: {x: 1}}]`)).toBe(
      'bad.yaml: hosts[1].name: host "w02" is already declared by hosts[0]',
    );
    expect(scenarioError(`hosts: [{name: w, count: 2, role: r, metrics: {x: 1}}]`)).toContain(
      "bad.yaml: hosts[0].name: must contain {{i}} when count is 2 (e.g. worker-{{i}})",
    );
    expect(scenarioError(`hosts: [{name: "w{{i}}", count: 1000001, role: r, metrics: {x: 1}}]`)).toContain(
      "scenario bad expands to 1,000,001 hosts and 1,000,001 series, which would need about 760 MB of memory",
    );
  });
});

describe("parameters", () => {
  const yaml = `
params: {hosts: {count: 2}, site: eu, fast: false}
hosts: [{name: "\${site}-{{i}}", count: "\${hosts.count}", role: r, metrics: {x: 1}}]`;

  it("keep their type when a whole value, interpolate inside text", () => {
    expect(compile(yaml).hosts.map((h) => h.name)).toEqual(["eu-01", "eu-02"]);
  });

  it("are overridden with --set, read as the type of their default", () => {
    expect(compile(yaml, ["hosts.count=3", "site=us"]).hosts.map((h) => h.name)).toEqual(["us-01", "us-02", "us-03"]);
  });

  it("refuse unknown keys, badly typed values, malformed pairs and unknown references", () => {
    expect(scenarioError(yaml, ["hosts.cnt=5"])).toBe('--set hosts.cnt=5: scenario bad has no parameter "hosts.cnt" (its parameters: hosts.count=2, site=eu, fast=false)');
    expect(scenarioError(yaml, ["hosts.count=many"])).toBe("--set hosts.count=many: must be a number written in decimal (the default is 2)");
    expect(scenarioError(yaml, ["fast=yes"])).toBe("--set fast=yes: must be true or false (the default is false)");
    expect(scenarioError(yaml, ["hosts.count"])).toBe('--set "hosts.count": must be key=value, e.g. --set hosts.count=50');
    expect(scenarioError(`hosts: [{name: h, role: r, ttl: "\${life}", metrics: {x: 1}}]`)).toBe("bad.yaml: hosts[0].ttl: unknown parameter ${life} (parameters: none)");
    expect(scenarioError(`params: {a: [1, 2]}\nhosts: []`)).toBe("bad.yaml: params.a: must be a string, a number, a boolean or a map of them");
  });

  it("a value from --set is validated like one in the file, and the message blames --set with the value", () => {
    expect(scenarioError(yaml, ["hosts.count=-1"])).toBe("--set hosts.count=-1: hosts[0].count: must be >= 0 (got -1)");
  });
});

describe("scenario errors name the file and the path inside it", () => {
  it("broken YAML: file, line and column", () => {
    expect(scenarioError("hosts:\n  - name: a\n   role: r\n")).toBe("bad.yaml:3:4: not valid YAML: bad indentation of a sequence entry");
    expect(scenarioError("hosts: [a, b\n")).toMatch(/^bad\.yaml:\d+:\d+: not valid YAML: /);
  });

  it.each([
    ["not a map", "- a\n- b\n", "bad.yaml: must be a YAML map with at least a hosts list"],
    ["no hosts", "labels: {a: b}\n", "bad.yaml: hosts: must be a list of hosts"],
    ["a bad duration", "hosts: [{name: h, role: r, ttl: 5 minutes, metrics: {x: 1}}]", `bad.yaml: hosts[0].ttl: must be a duration such as 500ms, 15s, 4m, 1h30m or 14.5s (units y, w, d, h, m, s, ms, largest first), not "5 minutes"`],
    ["a duration without unit", "hosts: [{name: h, role: r, delay: 30, metrics: {x: 1}}]", "bad.yaml: hosts[0].delay: must be a duration such as 500ms"],
    ["a tick jitter as long as the interval", "tick: {interval: 10s, jitter: 10s}\nhosts: [{name: h, role: r, metrics: {x: 1}}]", "bad.yaml: tick.jitter: must be shorter than interval"],
    ["gauge min > max", "hosts: [{name: h, role: r, metrics: {x: {generator: 1, min: 5, max: 1}}}]", "bad.yaml: hosts[0].metrics.x.min: must be <= max (min 5, max 1)"],
    ["an unknown metric type", "hosts: [{name: h, role: r, metrics: {x: {type: summary}}}]", "bad.yaml: hosts[0].metrics.x.type: must be a metric {type: gauge|counter|histogram, ...}"],
    ["unsorted buckets", "hosts: [{name: h, role: r, metrics: {x: {type: histogram, buckets: [1, 0.5], observations: {rate: 1, distribution: {type: exponential, mean: 1}}}}}]", "bad.yaml: hosts[0].metrics.x.buckets: must be strictly increasing"],
    ["a bad metric name", "hosts: [{name: h, role: r, metrics: {cpu-usage: 1}}]", "bad.yaml: hosts[0].metrics.cpu-usage: is not a metric name (letters, digits, _ and :, not starting with a digit)"],
    ["a reserved label", "labels: {job: x}\nhosts: [{name: h, role: r, metrics: {x: 1}}]", "bad.yaml: labels.job: is reserved: the emulator sets host, role, address, fqdn itself"],
    ["a promemu_ label", "hosts: [{name: h, role: r, labels: {promemu_shard: x}, metrics: {x: 1}}]", "bad.yaml: hosts[0].labels.promemu_shard: is reserved"],
    ["a host without metrics", "hosts: [{name: h, role: r}]", 'bad.yaml: hosts[0]: host "h" (role r) has no metrics'],
    ["an unknown top-level key", "hostz: []\nhosts: [{name: h, role: r, metrics: {x: 1}}]", 'bad.yaml: (top level): unknown key "hostz"'],
  ])("%s", (_, yaml, message) => {
    expect(scenarioError(yaml)).toContain(message);
  });

  it("a metric name keeps one type and one help text everywhere", () => {
    // A role's metric replaces the common one of the same name on its hosts; other hosts keep the counter.
    expect(scenarioError("metrics: {x: {type: counter, rate: 1}}\nroles: {r: {metrics: {x: 1}}}\nhosts: [{name: h, role: s}, {name: g, role: r}]")).toBe(
      'bad.yaml: roles.r.metrics.x: "x" is a gauge here but a counter in metrics.x; a metric name keeps one type everywhere',
    );
    expect(scenarioError(`hosts: [{name: a, role: r, metrics: {x: {generator: 1, help: one}}}, {name: b, role: s, metrics: {x: {generator: 1, help: two}}}]`)).toContain(
      "bad.yaml: hosts[1].metrics.x.help: differs from the help of \"x\" in hosts[0].metrics.x.help",
    );
    expect(scenarioError(`hosts: [{name: a, role: r, metrics: {x: {type: histogram, buckets: [1], observations: {rate: 1, distribution: {type: exponential, mean: 1}}}, x_count: 1}}]`)).toContain(
      'bad.yaml: hosts[0].metrics.x_count: "x_count" collides with the series of "x"',
    );
  });

  it("shows at most five problems, and says how many more", () => {
    const metrics = Array.from({ length: 8 }, (_, i) => `m${i}: {generator: {type: uniform, min: 2, max: 1}}`).join(", ");
    const message = scenarioError(`hosts: [{name: h, role: r, metrics: {${metrics}}}]`);
    expect(message.split("\n")).toHaveLength(6);
    expect(message).toContain("(and 3 more problems)");
  });
});
