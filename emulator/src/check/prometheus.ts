/**
 * The few Prometheus HTTP API calls `promemu check` makes, through Node's http module (sinks/http-request.ts):
 * fetch refuses the ports browsers block (6000, 6666, 10080, ...) before sending anything. A server is a base URL, or
 * an Endpoint (util/url.ts) whose credentials travel in the Authorization header only: messages name
 * the server by its redacted form.
 */
import { setTimeout as sleep } from "timers/promises";
import { Unavailable } from "../errors";
import { httpRequest, networkReason } from "../sinks/http-request";
import type { Endpoint } from "../util/url";

export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}
export interface MatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/** A base URL without credentials, or an Endpoint. */
export type Server = string | Endpoint;

/** Prometheus could not be asked (unreachable, refused, not Prometheus): the check cannot go on. */
export class PrometheusUnavailable extends Unavailable {
  constructor(message: string) {
    super(message);
    this.name = "PrometheusUnavailable";
  }
}

export interface ReadyWait {
  /** Time between two attempts (ms). */
  intervalMs: number;
  /** Timeout of one attempt (ms). */
  attemptMs: number;
  /** Gives up early when it returns true (the server's process has exited). */
  stop?: () => boolean;
  /** Stops waiting, with the signal's reason (Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * Asks GET /-/ready until it answers 200: resolves to undefined then, or, when `timeoutMs` passed or `stop` said so,
 * to the last answer (an HTTP status, or why there was none) for a message.
 */
export async function waitUntilReady(url: string, timeoutMs: number, wait: ReadyWait): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  for (;;) {
    try {
      const res = await httpRequest(`${url.replace(/\/+$/, "")}/-/ready`, { method: "GET", signal: AbortSignal.timeout(wait.attemptMs) });
      if (res.status === 200) return undefined;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = networkReason(err);
    }
    if (Date.now() >= deadline || wait.stop?.()) return last;
    await sleep(wait.intervalMs, undefined, { signal: wait.signal });
  }
}

const endpointOf = (server: Server): Endpoint => (typeof server === "string" ? { base: server.replace(/\/+$/, ""), display: server } : server);

/** Prometheus refused a query: `bad_data` is an expression it cannot parse (bad input), anything else a failure to evaluate it. */
export class PrometheusQueryError extends Error {
  constructor(
    message: string,
    readonly errorType: string,
  ) {
    super(message);
    this.name = "PrometheusQueryError";
  }
}

/** The answer is not Prometheus' (a proxy, another server): exit 3, naming what was asked. */
function notPrometheus(display: string, path: string, what: string): PrometheusUnavailable {
  return new PrometheusUnavailable(`${display}${path.split("?")[0]} ${what}: is this a Prometheus base URL?`);
}

async function request<T>(server: Server, path: string, init: { method: string; body?: URLSearchParams }, valid: (data: unknown) => boolean): Promise<T> {
  const { base, authorization, display } = endpointOf(server);
  let res: { status: number; text: string };
  const chunks: Buffer[] = [];
  try {
    res = await httpRequest(`${base}${path}`, {
      method: init.method,
      headers: { ...(init.body ? { "content-type": "application/x-www-form-urlencoded" } : {}), ...(authorization ? { authorization } : {}) },
      body: init.body?.toString(),
      signal: AbortSignal.timeout(30_000),
      onChunk: (chunk) => chunks.push(chunk),
    });
  } catch (err) {
    throw new PrometheusUnavailable(`cannot reach Prometheus at ${display}: ${networkReason(err)}`);
  }
  if (res.status === 401 || res.status === 403) {
    throw new PrometheusUnavailable(`Prometheus at ${display} answered HTTP ${res.status} (${authorization ? "the credentials in the URL were refused" : "it needs credentials: give them as http://user:password@host"})`);
  }
  let body: { status?: string; error?: string; errorType?: string; data?: unknown };
  try {
    body = JSON.parse(chunks.length ? Buffer.concat(chunks).toString("utf8") : res.text);
  } catch {
    throw notPrometheus(display, path, `answered HTTP ${res.status} without a Prometheus API answer`);
  }
  if (typeof body !== "object" || body === null) throw notPrometheus(display, path, `answered HTTP ${res.status} without a Prometheus API answer`);
  if (body.status === "error") throw new PrometheusQueryError(String(body.error ?? `HTTP ${res.status}`), String(body.errorType ?? ""));
  if (body.status !== "success" || !valid(body.data)) throw notPrometheus(display, path, `answered HTTP ${res.status} with data of another shape than Prometheus' (${JSON.stringify(body).slice(0, 120)})`);
  return body.data as T;
}

const isObject = (data: unknown): data is Record<string, unknown> => typeof data === "object" && data !== null && !Array.isArray(data);
/** A query's answer: a result type and its result. */
const queryResult = (data: unknown) => isObject(data) && typeof data.resultType === "string" && (Array.isArray(data.result) || data.result === null);

async function api<T>(server: Server, path: string, params: Record<string, string>): Promise<T> {
  return request<T>(server, path, { method: "POST", body: new URLSearchParams(params) }, queryResult);
}

export async function query(server: Server, expr: string, time?: number): Promise<VectorSample[]> {
  const data = await api<{ resultType: string; result: unknown }>(server, "/api/v1/query", { query: expr, ...(time === undefined ? {} : { time: String(time) }) });
  if (data.resultType === "scalar" || data.resultType === "string") return [{ metric: {}, value: data.result as [number, string] }];
  return data.result as VectorSample[];
}

export async function queryRange(server: Server, expr: string, start: number, end: number, stepSeconds: number): Promise<MatrixSeries[]> {
  const data = await api<{ resultType: string; result: unknown }>(server, "/api/v1/query_range", { query: expr, start: String(start), end: String(end), step: String(stepSeconds) });
  if (data.resultType === "scalar" || data.resultType === "string") return [{ metric: {}, values: [data.result as [number, string]] }];
  return data.result as MatrixSeries[];
}

/** Values of a label over the series a selector matches (what Grafana's label_values() asks), optionally within [start, end] (s). */
export async function labelValues(server: Server, label: string, selector?: string, range?: { start: number; end: number }): Promise<string[]> {
  const params = new URLSearchParams(selector ? { "match[]": selector } : {});
  if (range) {
    params.set("start", String(range.start));
    params.set("end", String(range.end));
  }
  try {
    return await request<string[]>(server, `/api/v1/label/${encodeURIComponent(label)}/values?${params}`, { method: "GET" }, (data) => Array.isArray(data));
  } catch (err) {
    if (err instanceof PrometheusUnavailable) throw err;
    throw new Error(`label values of ${label}: ${(err as Error).message}`);
  }
}

export interface LoadedRule {
  type: "alerting" | "recording";
  name: string;
  group: string;
  state?: string;
}

/** The rules the server has loaded (its rule manager evaluates them). */
export async function loadedRules(server: Server): Promise<LoadedRule[]> {
  const rulesAnswer = (data: unknown) => isObject(data) && Array.isArray(data.groups) && data.groups.every((g) => isObject(g) && Array.isArray(g.rules));
  const data = await request<{ groups: { name: string; rules: { type: string; name: string; state?: string }[] }[] }>(server, "/api/v1/rules", { method: "GET" }, rulesAnswer);
  return data.groups.flatMap((g) => g.rules.map((r) => ({ type: r.type as LoadedRule["type"], name: r.name, group: g.name, state: r.state })));
}
