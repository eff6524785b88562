/**
 * The Pushgateway's HTTP API (PUT, DELETE, GET /api/v1/metrics) with a timeout on every request:
 * no client library is needed for three calls. Failures become PushErrors that say whether
 * trying again can help (network errors, timeouts, 5xx) or not (4xx: the body was refused).
 */
import { CONTENT_TYPE } from "../exposition/text";
import { GroupLabelsScanner } from "./group-scanner";
import { type HttpResult, errorDetail, httpRequest, networkReason } from "./http-request";
import { type GroupingKey, groupPath } from "./grouping";
import { type Endpoint, splitCredentials } from "../util/url";

export class PushError extends Error {
  constructor(
    message: string,
    /** A network error, timeout or 5xx: the same request may succeed later. */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "PushError";
  }
}

export interface PushgatewayClientOptions {
  /** Base URL, e.g. http://pushgateway:9091 (a path prefix is kept; user:password@ is sent as basic authentication). */
  url: string;
  job: string;
  timeoutMs: number;
}

/** A group as GET /api/v1/metrics lists it: its grouping labels, `job` included. */
export type GroupLabels = Record<string, string>;

export class PushgatewayClient {
  private readonly endpoint: Endpoint;

  constructor(private readonly options: PushgatewayClientOptions) {
    this.endpoint = splitCredentials(options.url);
  }

  /** The base URL as it may be shown: credentials redacted. */
  get url(): string {
    return this.endpoint.display;
  }

  get job(): string {
    return this.options.job;
  }

  /** Replaces the group's metrics with the body. */
  async put(key: GroupingKey, body: string | Uint8Array, signal?: AbortSignal): Promise<void> {
    await this.request("PUT", groupPath(this.options.job, key), signal, body);
  }

  async delete(key: GroupingKey, signal?: AbortSignal, timeoutMs?: number): Promise<void> {
    await this.request("DELETE", groupPath(this.options.job, key), signal, undefined, timeoutMs);
  }

  /** The grouping labels of every group on the Pushgateway, anyone's (read as a stream: see GroupLabelsScanner). */
  async groups(signal?: AbortSignal): Promise<GroupLabels[]> {
    const scanner = new GroupLabelsScanner();
    await this.request("GET", "/api/v1/metrics", signal, undefined, undefined, (chunk) => scanner.push(chunk));
    return scanner.groups;
  }

  /** Resolves to the response text, or feeds a 2xx body to `onChunk` instead when given. */
  private async request(
    method: string,
    path: string,
    signal: AbortSignal | undefined,
    body?: string | Uint8Array,
    timeoutMs = this.options.timeoutMs,
    onChunk?: (chunk: Uint8Array) => void,
  ): Promise<string> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["Content-Type"] = CONTENT_TYPE;
    if (this.endpoint.authorization) headers.Authorization = this.endpoint.authorization;
    let result: HttpResult;
    try {
      result = await httpRequest(this.endpoint.base + path, {
        method,
        body,
        headers,
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
        onChunk,
      });
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? err;
      if (timeout.aborted) throw new PushError(`${method} ${path} timed out after ${timeoutMs} ms`, true);
      if (err instanceof SyntaxError) throw new PushError(`${method} ${this.url}${path} did not return the Pushgateway's JSON (${err.message})`, false);
      throw new PushError(`${method} ${path}: ${networkReason(err)}`, true);
    }
    if (result.status < 200 || result.status >= 300) {
      const detail = errorDetail(result.text);
      throw new PushError(`${method} ${path}: HTTP ${result.status}${detail ? ` ${detail}` : ""}`, result.status >= 500 || result.status === 429);
    }
    return result.text;
  }
}
