/**
 * Turns a validated scenario into what the engine runs: host templates expanded (`worker-{{i}}`),
 * role and common metrics merged, metric families registered once with one type each, derived
 * metrics ordered after their sources, and every event subscription checked against an emitter.
 */
import { UsageError, formatPath } from "../errors";
import type { CompiledScenario, Family, HostDef, HostShape, MetricDef } from "../model/types";
import { HOST_STARTED, HOST_STOPPED } from "../events/bus";
import { checkLogs } from "../logs/schema";
import type { ExporterSpec } from "../profiles/specs";
import { type ScenarioSize, capacityProblem } from "./capacity";
import type { HostSpec, Scenario } from "./schema";
import type { EventFilter, GeneratorSpec, MetricSpec } from "../model/specs";

/** The series limit a compilation enforces, and the option that raises it (named in the message). */
export interface SeriesLimit {
  readonly maxSeries: number;
  readonly override: string;
}

type Path = ReadonlyArray<PropertyKey>;

/** Calls `visit` on a generator and on every generator nested in it. */
export function forEachGenerator(spec: GeneratorSpec, path: Path, visit: (spec: GeneratorSpec, path: Path) => void): void {
  visit(spec, path);
  if (spec.type === "switch") {
    forEachGenerator(spec.base, [...path, "base"], visit);
    forEachGenerator(spec.generator, [...path, "generator"], visit);
  } else if (spec.type === "sum") {
    spec.of.forEach((child, i) => forEachGenerator(child, [...path, "of", i], visit));
  }
}

/** The generators a metric is driven by, with their paths. */
function metricGenerators(spec: MetricSpec, path: Path): [GeneratorSpec, Path][] {
  switch (spec.type) {
    case "gauge":
      return [[spec.generator, [...path, "generator"]]];
    case "counter":
      return [[spec.rate, [...path, "rate"]]];
    case "histogram":
      return [[spec.observations.rate, [...path, "observations", "rate"]]];
  }
}

class Compiler {
  private readonly families = new Map<string, { family: Family; path: Path; helpPath?: Path }>();
  private readonly emitted = new Set<string>([HOST_STARTED, HOST_STOPPED]);
  private readonly subscriptions: [EventFilter, Path][] = [];

  constructor(
    private readonly scenario: Scenario,
    private readonly source: string,
  ) {}

  fail(path: Path, message: string): never {
    throw new UsageError(`${this.source}: ${formatPath(path)}: ${message}`);
  }

  /** Hosts and series with every host up, from the shapes: nothing is expanded. */
  measure(): { shapes: HostShape[]; size: ScenarioSize } {
    const shapes = this.scenario.hosts.map((spec, i) => this.shape(spec, i));
    let hosts = 0;
    let series = 0;
    shapes.forEach((shape, i) => {
      const count = this.scenario.hosts[i].count;
      hosts += count;
      series += count * seriesPerHost(shape);
    });
    return { shapes, size: { hosts, series } };
  }

  compile(name: string, limit: SeriesLimit | undefined): CompiledScenario {
    // Measured before anything is expanded: `hosts.count=1e9` must be refused, not built.
    const { shapes, size } = this.measure();
    const problem = limit && capacityProblem(name, size, limit.maxSeries, limit.override);
    if (problem) throw new UsageError(problem);
    const hosts: HostDef[] = [];
    const seen = new Map<string, Path>();
    this.scenario.hosts.forEach((spec, i) => {
      for (const host of this.expand(spec, i, shapes[i], hosts.length)) {
        const earlier = seen.get(host.name);
        if (earlier) this.fail(["hosts", i, "name"], `host "${host.name}" is already declared by ${formatPath(earlier)}`);
        seen.set(host.name, ["hosts", i]);
        hosts.push(host);
      }
    });
    this.checkSubscriptions(new Set(seen.keys()), new Set(this.scenario.hosts.map((h) => h.role)));
    return {
      name,
      description: this.scenario.description?.trim() ?? "",
      source: this.source,
      timeOfDay: this.scenario.timeOfDay,
      families: [...this.families.values()].map((f) => f.family),
      hosts,
    };
  }

  /** Everything the hosts of one `hosts[]` entry share. */
  private shape(spec: HostSpec, index: number): HostShape {
    const role = this.scenario.roles?.[spec.role];
    const merged = new Map<string, { spec: MetricSpec; path: Path }>();
    const add = (metrics: Record<string, MetricSpec> | undefined, path: Path) => {
      for (const [metricName, metric] of Object.entries(metrics ?? {})) merged.set(metricName, { spec: metric, path: [...path, metricName] });
    };
    add(this.scenario.metrics, ["metrics"]);
    add(role?.metrics, ["roles", spec.role, "metrics"]);
    add(spec.metrics, ["hosts", index, "metrics"]);
    const exporter = spec.exporter ?? role?.exporter;
    if (merged.size === 0 && !exporter) this.fail(["hosts", index], `host "${spec.name}" (role ${spec.role}) has no metrics: add some under metrics, roles.${spec.role}.metrics or the host itself`);

    const load = spec.load ?? role?.load;
    const loadPath: Path = spec.load ? ["hosts", index, "load"] : ["roles", spec.role, "load"];
    if (load) {
      forEachGenerator(load, loadPath, (g, path) => {
        if (g.type === "load" || g.type === "derived") this.fail(path, `a host's load cannot use the ${g.type} generator (load is computed before any metric)`);
        this.noteEvents(g, path);
      });
    }

    const metrics = new Map<string, MetricDef>();
    const dependencies = new Map<string, { from: string; path: Path }[]>();
    for (const [metricName, { spec: metric, path }] of merged) {
      const deps: { from: string; path: Path }[] = [];
      for (const [root, rootPath] of metricGenerators(metric, path)) {
        forEachGenerator(root, rootPath, (g, gPath) => {
          this.noteEvents(g, gPath);
          if (g.type === "load" && !load) {
            this.fail(gPath, `uses the host's load, but hosts[${index}] (role ${spec.role}) has no load: define roles.${spec.role}.load or hosts[${index}].load`);
          }
          if (g.type === "derived") {
            const source = merged.get(g.from);
            if (!source) this.fail([...gPath, "from"], `no metric "${g.from}" on this host (its metrics: ${[...merged.keys()].join(", ")})`);
            if (source.spec.type === "histogram") this.fail([...gPath, "from"], `"${g.from}" is a histogram; derive from a gauge or a counter`);
            deps.push({ from: g.from, path: [...gPath, "from"] });
          }
        });
      }
      dependencies.set(metricName, deps);
      metrics.set(metricName, { name: metricName, spec: metric, path, family: this.family(metricName, metric, path) });
    }

    if (exporter) this.checkDrivers(exporter, spec.exporter ? ["hosts", index, "exporter"] : ["roles", spec.role, "exporter"], load !== undefined, index, spec.role);

    const logs = spec.logs ?? role?.logs;
    if (logs) {
      const logsPath: Path = spec.logs ? ["hosts", index, "logs"] : ["roles", spec.role, "logs"];
      const types = new Map([...metrics].map(([n, m]) => [n, m.spec.type]));
      for (const [i, key, message] of checkLogs(logs, { profile: exporter?.profile, metrics: types })) this.fail([...logsPath, i, ...(key ? [key] : [])], message);
      for (const [i, source] of logs.entries()) if (source.source === "events") source.lines.forEach((l, j) => this.subscribe(l.on, [...logsPath, i, "lines", j, "on"]));
    }

    const tick = spec.tick ?? role?.tick ?? this.scenario.tick;
    return {
      exporter,
      logs,
      role: spec.role,
      metrics: this.evaluationOrder(metrics, dependencies),
      load,
      tick,
      delay: spec.delay,
      ttl: spec.ttl,
      startOn: this.subscribe(spec.startOn, ["hosts", index, "startOn"]),
      stopOn: this.subscribe(spec.stopOn, ["hosts", index, "stopOn"]),
    };
  }

  /** An exporter's drivers come before any metric: no derived values; the host's load only where it has one. */
  private checkDrivers(exporter: ExporterSpec, path: Path, hasLoad: boolean, index: number, role: string): void {
    for (const [name, driver] of Object.entries(exporter.drivers)) {
      if (!driver) continue;
      forEachGenerator(driver, [...path, "drivers", name], (g, gPath) => {
        if (g.type === "derived") this.fail(gPath, "an exporter's driver cannot use the derived generator (drivers are computed before any metric)");
        if (g.type === "load" && !hasLoad) this.fail(gPath, `uses the host's load, but hosts[${index}] (role ${role}) has no load`);
        this.noteEvents(g, gPath);
      });
    }
  }

  /** Sources before the metrics derived from them; a cycle is an error naming its members. */
  private evaluationOrder(metrics: Map<string, MetricDef>, dependencies: Map<string, { from: string; path: Path }[]>): MetricDef[] {
    const order: MetricDef[] = [];
    const state = new Map<string, "visiting" | "done">();
    const visit = (name: string, chain: string[], path: Path) => {
      if (state.get(name) === "done") return;
      if (state.get(name) === "visiting") this.fail(path, `derived metrics form a cycle: ${[...chain, name].join(" -> ")}`);
      state.set(name, "visiting");
      for (const dep of dependencies.get(name) ?? []) visit(dep.from, [...chain, name], dep.path);
      state.set(name, "done");
      order.push(metrics.get(name)!);
    };
    for (const name of metrics.keys()) visit(name, [], metrics.get(name)!.path);
    return order;
  }

  private family(name: string, spec: MetricSpec, path: Path): Family {
    const known = this.families.get(name);
    if (known) {
      if (known.family.type !== spec.type) {
        this.fail(path, `"${name}" is a ${spec.type} here but a ${known.family.type} in ${formatPath(known.path)}; a metric name keeps one type everywhere`);
      }
      if (spec.help !== undefined) {
        if (known.helpPath && known.family.help !== spec.help) {
          this.fail([...path, "help"], `differs from the help of "${name}" in ${formatPath(known.helpPath)}; a metric name keeps one help text everywhere`);
        }
        // The first explicit help wins over the generated one, wherever it is declared.
        (known.family as { help: string }).help = spec.help;
        known.helpPath = [...path, "help"];
      }
      return known.family;
    }
    const clashes = spec.type === "histogram" ? ["_bucket", "_sum", "_count"].map((s) => name + s) : [];
    for (const [other, { family, path: otherPath }] of this.families) {
      const otherClashes = family.type === "histogram" ? ["_bucket", "_sum", "_count"].map((s) => other + s) : [];
      if (clashes.includes(other) || otherClashes.includes(name)) {
        this.fail(path, `"${name}" collides with the series of "${other}" (${formatPath(otherPath)}): a histogram writes <name>_bucket, _sum and _count`);
      }
    }
    const family: Family = { index: this.families.size, name, type: spec.type, help: spec.help ?? `${name} (emulated by promemu)` };
    this.families.set(name, { family, path, helpPath: spec.help === undefined ? undefined : [...path, "help"] });
    return family;
  }

  private noteEvents(g: GeneratorSpec, path: Path): void {
    if (g.type === "toggle") {
      if (g.events?.rise) this.emitted.add(g.events.rise);
      if (g.events?.fall) this.emitted.add(g.events.fall);
    } else if (g.type === "switch") {
      this.subscribe(g.on, [...path, "on"]);
      this.subscribe(g.until, [...path, "until"]);
    } else if (g.type === "event") {
      g.on.forEach((filter, i) => this.subscribe(filter, [...path, "on", i]));
    }
  }

  private subscribe(filter: EventFilter | undefined, path: Path): EventFilter | undefined {
    if (filter) this.subscriptions.push([filter, path]);
    return filter;
  }

  /** A subscription nobody can satisfy is almost always a typo: refuse it. */
  private checkSubscriptions(hosts: Set<string>, roles: Set<string>): void {
    for (const [filter, path] of this.subscriptions) {
      if (!this.emitted.has(filter.event)) {
        this.fail(path, `no host emits event "${filter.event}" (emitted: ${[...this.emitted].join(", ")}; a toggle emits the events named in its events.rise/fall)`);
      }
      if (filter.source !== undefined && !hosts.has(filter.source)) this.fail([...path, "source"], `no host is named "${filter.source}"`);
      if (filter.role !== undefined && !roles.has(filter.role)) this.fail([...path, "role"], `no host has role "${filter.role}" (roles: ${[...roles].join(", ")})`);
    }
  }

  /** The hosts of one `hosts[]` entry: `worker-{{i}}` x count, numbered from `start`, zero-padded. */
  private expand(spec: HostSpec, index: number, shape: HostShape, ordinalBase: number): HostDef[] {
    const role = this.scenario.roles?.[spec.role];
    const last = spec.start + spec.count - 1;
    const width = Math.max(2, String(last).length);
    const firstAddress = spec.address ? ipv4ToInt(spec.address) : undefined;
    const hosts: HostDef[] = [];
    for (let k = 0; k < spec.count; k++) {
      const i = String(spec.start + k).padStart(width, "0");
      const fill = (text: string) => text.split("{{i}}").join(i);
      const name = fill(spec.name);
      const ordinal = ordinalBase + k;
      const address = intToIpv4(firstAddress !== undefined ? firstAddress + k : AUTO_ADDRESS_BASE + ordinal + 1);
      if (address === undefined) this.fail(["hosts", index, "address"], `counting up from ${spec.address} for ${spec.count} hosts runs past 255.255.255.255`);
      const labels = new Map<string, string>([
        ["host", name],
        ["role", spec.role],
        ["address", address],
      ]);
      if (this.scenario.domain) labels.set("fqdn", `${name}.${this.scenario.domain}`);
      for (const source of [this.scenario.labels, role?.labels, spec.labels]) {
        for (const [key, value] of Object.entries(source ?? {})) labels.set(key, fill(value));
      }
      hosts.push({ name, ordinal, labels: [...labels], shape });
    }
    return hosts;
  }
}

/** Hosts without an address get 10.0.0.1, 10.0.0.2, ... in declaration order. */
const AUTO_ADDRESS_BASE = ipv4ToInt("10.0.0.0");

function ipv4ToInt(address: string): number {
  return address.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function intToIpv4(value: number): string | undefined {
  if (value > 0xffffffff) return undefined;
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** Sample lines one host of this shape writes per push (a histogram: buckets, +Inf, sum, count). */
export function seriesPerHost(shape: HostShape): number {
  let total = 0;
  for (const metric of shape.metrics) total += metric.spec.type === "histogram" ? metric.spec.buckets.length + 3 : 1;
  return total;
}

/** Without a limit nothing is refused for its size. */
export function compileScenario(scenario: Scenario, source: string, name: string, limit?: SeriesLimit): CompiledScenario {
  return new Compiler(scenario, source).compile(scenario.name ?? name, limit);
}

/** The size of a validated scenario, without expanding its hosts. */
export function measureScenario(scenario: Scenario, source: string): ScenarioSize {
  return new Compiler(scenario, source).measure().size;
}
