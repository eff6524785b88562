/** The few Prometheus HTTP API calls `promemu check` makes (Node's fetch; a URL given by the user). */

export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}
export interface MatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

async function api<T>(baseUrl: string, path: string, params: Record<string, string>): Promise<T> {
  const res = await fetch(`${baseUrl.replace(/\/$/, "")}${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as { status: string; error?: string; data: T };
  if (body.status !== "success") throw new Error(`${path} ${JSON.stringify(params)}: ${body.error}`);
  return body.data;
}

/** Instant query: the samples (a scalar counts as one). */
export async function query(baseUrl: string, expr: string, time?: number): Promise<VectorSample[]> {
  const data = await api<{ resultType: string; result: unknown }>(baseUrl, "/api/v1/query", { query: expr, ...(time === undefined ? {} : { time: String(time) }) });
  if (data.resultType === "scalar" || data.resultType === "string") return [{ metric: {}, value: data.result as [number, string] }];
  return data.result as VectorSample[];
}

export async function queryRange(baseUrl: string, expr: string, start: number, end: number, stepSeconds: number): Promise<MatrixSeries[]> {
  const data = await api<{ result: MatrixSeries[] }>(baseUrl, "/api/v1/query_range", { query: expr, start: String(start), end: String(end), step: String(stepSeconds) });
  return data.result;
}

/** Values of a label over the series a selector matches (what Grafana's label_values() asks). */
export async function labelValues(baseUrl: string, label: string, selector?: string): Promise<string[]> {
  const params = new URLSearchParams(selector ? { "match[]": selector } : {});
  const res = await fetch(`${baseUrl.replace(/\/$/, "")}/api/v1/label/${encodeURIComponent(label)}/values?${params}`, { signal: AbortSignal.timeout(30_000) });
  const body = (await res.json()) as { status: string; error?: string; data: string[] };
  if (body.status !== "success") throw new Error(`label values of ${label}: ${body.error}`);
  return body.data;
}
