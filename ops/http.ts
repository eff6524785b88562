/** JSON over HTTP with a deadline: a hung service must not hang the CLI. */

export interface Probe {
  url: string;
  ok: boolean;
  /** HTTP status when the server answered. */
  status?: number;
  /** Why it failed: "HTTP 503", "connection refused", "timed out after 5 s". */
  error?: string;
}

const DEFAULT_TIMEOUT_MS = 5000;

function reason(err: unknown, timeoutMs: number): string {
  const error = err as Error & { cause?: { code?: string; message?: string } };
  if (error.name === "TimeoutError" || error.name === "AbortError") return `timed out after ${timeoutMs / 1000} s`;
  const code = error.cause?.code;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "host not found";
  return error.cause?.message ?? error.message;
}

/** GETs a URL and reports whether it answered 2xx; never throws. */
export async function probe(url: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Probe> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok ? { url, ok: true, status: res.status } : { url, ok: false, status: res.status, error: `HTTP ${res.status}` };
  } catch (err) {
    return { url, ok: false, error: reason(err, timeoutMs) };
  }
}

/** GETs a URL and parses the JSON answer; throws an Error whose message names the URL and the reason. */
export async function requestJson<T = unknown>(url: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
  const method = "GET";
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new Error(`${method} ${url}: ${reason(err, timeoutMs)}`);
  }
  const body = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status} ${body.slice(0, 200).trim()}`);
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new Error(`${method} ${url}: the answer is not JSON (${body.slice(0, 80).trim()})`);
  }
}
