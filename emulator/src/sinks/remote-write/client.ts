/**
 * One remote-write request: POST of a snappy-compressed (block format, not framed) WriteRequest with
 * the headers remote write 1.0 requires. Failures become RemoteWriteErrors that say whether the
 * same request may succeed later (network errors, timeouts, 5xx, 429) and how long the receiver
 * asked us to wait (Retry-After, in seconds or as an HTTP date).
 */
import { errorDetail, httpRequest, networkReason } from "../http-request";
import type { Endpoint } from "../../util/url";

export const REMOTE_WRITE_HEADERS = {
  "Content-Encoding": "snappy",
  "Content-Type": "application/x-protobuf",
  "X-Prometheus-Remote-Write-Version": "0.1.0",
} as const;

export class RemoteWriteError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** HTTP status, or undefined for a network error or timeout. */
    readonly status?: number,
    /** What Retry-After asked for, in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "RemoteWriteError";
  }
}

export interface RemoteWriteClientOptions {
  endpoint: Endpoint;
  /** `Basic ...` or `Bearer ...`; overrides credentials of the URL. Never shown. */
  authorization?: string;
  userAgent: string;
  timeoutMs: number;
  now?: () => number;
  /** Content headers of another protocol sent the same way (the Loki push sink); default: remote write's. */
  contentHeaders?: Record<string, string>;
  /** Sent with every request, e.g. a receiver's tenant (THANOS-TENANT, X-Scope-OrgID); the protocol's own headers win. */
  extraHeaders?: Record<string, string>;
}

export class RemoteWriteClient {
  private readonly headers: Record<string, string>;
  private readonly now: () => number;

  constructor(private readonly options: RemoteWriteClientOptions) {
    this.now = options.now ?? Date.now;
    const authorization = options.authorization ?? options.endpoint.authorization;
    this.headers = { ...options.extraHeaders, ...(options.contentHeaders ?? REMOTE_WRITE_HEADERS), "User-Agent": options.userAgent, ...(authorization ? { Authorization: authorization } : {}) };
  }

  /** The URL as it may be shown. */
  get url(): string {
    return this.options.endpoint.display;
  }

  /** Sends one compressed WriteRequest; resolves on 2xx. */
  async send(body: Uint8Array, signal?: AbortSignal): Promise<void> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    let result;
    try {
      result = await httpRequest(this.options.endpoint.base, {
        method: "POST",
        body,
        headers: this.headers,
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      });
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? err;
      if (timeout.aborted) throw new RemoteWriteError(`timed out after ${this.options.timeoutMs} ms`, true);
      throw new RemoteWriteError(networkReason(err), true);
    }
    const { status, text } = result;
    if (status >= 200 && status < 300) return;
    const detail = errorDetail(text);
    const retryable = status >= 500 || status === 429;
    const retryAfterMs = retryable ? parseRetryAfter(result.headers?.["retry-after"], this.now()) : undefined;
    throw new RemoteWriteError(`HTTP ${status}${detail ? ` ${detail}` : ""}`, retryable, status, retryAfterMs);
  }
}

/** `Retry-After: 120` or `Retry-After: Fri, 27 Nov 2026 09:00:00 GMT` -> ms from now (0 for a date past); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
