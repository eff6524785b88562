/**
 * The few Prometheus HTTP API calls `promemu check` makes (Node's fetch). A server is a base URL, or
 * an Endpoint (util/url.ts) whose credentials travel in the Authorization header only: messages name
 * the server by its redacted form.
 */
import { setTimeout as sleep } from "timers/promises";
import { Unavailable } from "../errors";
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
      const res = await fetch(`${url.replace(/\/+$/, "")}/-/ready`, { signal: AbortSignal.timeout(wait.attemptMs) });
      if (res.ok) return undefined;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
    }
    if (Date.now() >= deadline || wait.stop?.()) return last;
    await sleep(wait.intervalMs, undefined, { signal: wait.signal });
  }
}

const endpointOf = (server: Server): Endpoint => (typeof server === "string" ? { base: server.replace(/\/+$/, ""), display: server } : server);

async function request<T>(server: Server, path: string, init: { method: string; body?: URLSearchParams }): Promise<T> {
  const { base, authorization, display } = endpointOf(server);
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method: init.method,
      headers: { ...(init.body ? { "content-type": "application/x-www-form-urlencoded" } : {}), ...(authorization ? { authorization } : {}) },
      body: init.body,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new PrometheusUnavailable(`cannot reach Prometheus at ${display}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  if (res.status === 401 || res.status === 403) {
    throw new PrometheusUnavailable(`Prometheus at ${display} answered HTTP ${res.status} (${authorization ? "the credentials in the URL were refused" : "it needs credentials: give them as http://user:password@host"})`);
  }
  let body: { status?: string; error?: string; data?: T };
  try {
    body = (await res.json()) as typeof body;
  } catch {
    throw new PrometheusUnavailable(`${display}${path} answered HTTP ${res.status} without a Prometheus API answer: is this a Prometheus base URL?`);
  }
  if (body.status !== "success") throw new Error(body.error ?? `HTTP ${res.status}`);
  return body.data as T;
}

async function api<T>(server: Server, path: string, params: Record<string, string>): Promise<T> {
  return request<T>(server, path, { method: "POST", body: new URLSearchParams(params) });
}

/** Instant query: the samples (a scalar counts as one). */
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
    return await request<string[]>(server, `/api/v1/label/${encodeURIComponent(label)}/values?${params}`, { method: "GET" });
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
  const data = await request<{ groups: { name: string; rules: { type: string; name: string; state?: string }[] }[] }>(server, "/api/v1/rules", { method: "GET" });
  return data.groups.flatMap((g) => g.rules.map((r) => ({ type: r.type as LoadedRule["type"], name: r.name, group: g.name, state: r.state })));
}
