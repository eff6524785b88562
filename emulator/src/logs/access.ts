/**
 * An HTTP access log that agrees with the host's metrics.
 *
 * On an `http` exporter host, each tick's new requests of a route (the increase of
 * `http_requests_total{code,method,route}`) become as many lines with those status codes, and each
 * line's request_time falls in the latency bucket the histogram counted it in (the increase of each
 * `http_request_duration_seconds_bucket`, on whole milliseconds): between two ticks, lines of status
 * 5xx == increase of the 5xx counter, lines with request_time <= le == increase of that bucket.
 * On a host of plain metrics, each whole increment of the `counter` is a line (status 200, 0.5 % 404),
 * request_time drawn from the `histogram`'s distribution (the same distribution, not the same draws).
 *
 * Lines of a tick are spread over the tick's interval (previous tick, this tick], in time order.
 */
import { sampler } from "../generators/distribution";
import type { HttpProfileSpec } from "../profiles/specs";
import { codesOf } from "../profiles/http/model";
import type { MetricDef } from "../model/types";
import { Random } from "../util/random";
import type { AccessLogSpec } from "./schema";
import { CounterWatch, type LogHost, between, pick, spreadTimes } from "./source-kit";
import { isoSeconds, nginxTimeLocal } from "./time-format";
import type { HostLogSource } from "./types";

const AGENTS = ["okhttp/4.12.0", "python-requests/2.31.0", "Go-http-client/1.1", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "curl/7.88.1"];

interface Request {
  t: number;
  method: string;
  uri: string;
  status: number;
  /** Seconds, whole milliseconds. */
  time: number;
}

/** A request's body size as nginx counts it (body_bytes_sent). */
function bodyBytes(status: number, random: Random): number {
  if (status === 204 || status === 304) return 0;
  if (status >= 400) return between(150, 180, random);
  return between(200, 9000, random);
}

/** A route template with its parameters filled in: /api/orders/:id -> /api/orders/48213. */
function fill(route: string, random: Random): string {
  return route.replace(/:[A-Za-z_]\w*/g, () => String(between(1, 99_999, random)));
}

export class AccessLog implements HostLogSource {
  private readonly random: Random;
  private readonly clients: string[];
  private readonly format: AccessLogSpec["format"];
  private readonly perTick: (from: number, t: number) => Request[];

  constructor(
    spec: AccessLogSpec,
    private readonly host: LogHost,
    metricDef: (name: string) => MetricDef | undefined,
  ) {
    this.random = new Random(host.seed("logs.access"));
    this.format = spec.format;
    this.clients = Array.from({ length: 40 }, (_, i) => `10.${20 + (i % 8)}.${between(0, 255, this.random)}.${between(1, 254, this.random)}`);
    const exporter = host.exporterSpec;
    this.perTick = exporter?.profile === "http" ? this.fromHttpExporter(exporter) : this.fromCounter(spec, metricDef);
  }

  tick(from: number, t: number): void {
    const requests = this.perTick(from, t);
    if (requests.length === 0) return;
    requests.sort((a, b) => a.t - b.t);
    const { sink, stream, epochMs } = this.host;
    for (const r of requests) sink.write(stream, r.t, this.line(r, epochMs + r.t));
  }

  private line(r: Request, wallMs: number): string {
    const client = pick(this.clients, this.random);
    const agent = r.uri === "/healthz" ? "kube-probe/1.29" : pick(AGENTS, this.random);
    const bytes = bodyBytes(r.status, this.random);
    if (this.format === "combined") return `${client} - - [${nginxTimeLocal(wallMs)}] "${r.method} ${r.uri} HTTP/1.1" ${r.status} ${bytes} "-" "${agent}"`;
    return JSON.stringify({
      time: isoSeconds(wallMs),
      remote_addr: client,
      request_method: r.method,
      request_uri: r.uri,
      status: r.status,
      body_bytes_sent: bytes,
      request_time: r.time,
      http_referer: "",
      http_user_agent: agent,
    });
  }

  /** Per route: the codes' and buckets' increases, paired at random into requests. */
  private fromHttpExporter(spec: HttpProfileSpec): (from: number, t: number) => Request[] {
    const { routes, buckets } = spec.layout;
    const value = (name: string, labels: Record<string, string>) => () => this.host.exporter()?.valueOf(name, labels);
    const watches = routes.map((r) => ({
      route: r,
      codes: codesOf(r).map((code) => ({ status: Number(code), watch: new CounterWatch(value("http_requests_total", { code, method: r.method, route: r.route })) })),
      buckets: [...buckets.map(String), "+Inf"].map((le) => new CounterWatch(value("http_request_duration_seconds_bucket", { method: r.method, route: r.route, le }))),
    }));
    return (from, t) => {
      const out: Request[] = [];
      for (const { route, codes, buckets: bucketWatches } of watches) {
        const statuses: number[] = [];
        for (const c of codes) for (let k = c.watch.delta(); k > 0; k--) statuses.push(c.status);
        const cumulative = bucketWatches.map((w) => w.delta());
        const n = statuses.length;
        if (n === 0) continue;
        // Latencies: per bucket (lo, hi], as many as its increase; the cumulative increases never exceed n.
        const times: number[] = [];
        let below = 0;
        for (let j = 0; j < cumulative.length; j++) {
          const inBucket = Math.max(0, Math.min(n, cumulative[j]) - below);
          below += inBucket;
          const lo = j === 0 ? 0 : buckets[j - 1];
          const hi = j < buckets.length ? buckets[j] : buckets[buckets.length - 1] * 2;
          for (let k = 0; k < inBucket; k++) times.push(this.latencyIn(lo, hi));
        }
        while (times.length < n) times.push(this.latencyIn(0, buckets[0]));
        shuffle(statuses, this.random);
        const at = spreadTimes(from, t, n, this.random);
        for (let k = 0; k < n; k++) out.push({ t: at[k], method: route.method, uri: fill(route.route, this.random), status: statuses[k], time: times[k] });
      }
      return out;
    };
  }

  /** A latency in (lo, hi] on whole milliseconds (log-uniform inside the bucket). */
  private latencyIn(lo: number, hi: number): number {
    const loMs = Math.floor(lo * 1000 + 1e-9) + 1;
    const hiMs = Math.max(loMs, Math.floor(hi * 1000 + 1e-9));
    const x = Math.exp(Math.log(loMs) + this.random.next() * (Math.log(hiMs) - Math.log(loMs)));
    return Math.min(hiMs, Math.max(loMs, Math.round(x))) / 1000;
  }

  private fromCounter(spec: AccessLogSpec, metricDef: (name: string) => MetricDef | undefined): (from: number, t: number) => Request[] {
    const watch = new CounterWatch(() => this.host.metric(spec.counter!));
    const histogram = spec.histogram ? metricDef(spec.histogram)?.spec : undefined;
    const draw = histogram?.type === "histogram" ? sampler(histogram.observations.distribution, new Random(this.host.seed("logs.access.latency"))) : () => 0.05;
    return (from, t) => {
      const n = watch.delta();
      if (n === 0) return [];
      const at = spreadTimes(from, t, n, this.random);
      return at.map((time) => {
        const notFound = this.random.next() < 0.005;
        return { t: time, method: "GET", uri: notFound ? `/api/v1/items/${between(1, 99_999, this.random)}` : pick(["/api/v1/tasks", "/api/v1/tasks/next", "/api/v1/status", "/"], this.random), status: notFound ? 404 : 200, time: Math.max(0.001, Math.round(draw() * 1000) / 1000) };
      });
    };
  }
}

function shuffle<T>(items: T[], random: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}
