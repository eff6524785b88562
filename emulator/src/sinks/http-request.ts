/**
 * One HTTP exchange on Node's own http/https modules, with keep-alive agents and an AbortSignal.
 * Not fetch: fetch copies every request body (the Fetch standard's body extraction slices the
 * buffer), and at 10,000 hosts those 1-2 MB copies per group and cycle left some 60 MB more resident
 * memory behind in the allocator (measured: bench/live.js, see docs/emulator.md).
 */
import * as http from "http";
import * as https from "https";

const agents = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: 8 }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: 8 }),
};

export interface HttpResult {
  status: number;
  /** The body as text, unless a chunk handler consumed it (then only for error statuses). */
  text: string;
  /** The response's headers (lower-case names). */
  headers?: http.IncomingHttpHeaders;
}

/** At most this much of an answer is kept as text (error bodies are one line; nothing else is read as text). */
const MAX_TEXT = 64 * 1024;

/**
 * Resolves with the status and body; rejects on network errors and when the signal aborts (with the
 * signal's reason). `onChunk` receives a 2xx body as it arrives instead of it being kept.
 */
export function httpRequest(
  url: string,
  options: { method: string; headers?: Record<string, string>; body?: Uint8Array | string; signal: AbortSignal; onChunk?: (chunk: Buffer) => void },
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const transport = target.protocol === "https:" ? https : http;
    const body = options.body === undefined ? undefined : typeof options.body === "string" ? Buffer.from(options.body) : options.body;
    const headers = { ...options.headers, ...(body ? { "Content-Length": String(body.byteLength) } : {}) };
    const request = transport.request(target, { method: options.method, headers, agent: agents[target.protocol as "http:" | "https:"], signal: options.signal }, (response) => {
      const status = response.statusCode ?? 0;
      const stream = options.onChunk !== undefined && status >= 200 && status < 300 ? options.onChunk : undefined;
      let text = "";
      response.on("data", (chunk: Buffer) => {
        if (!stream) {
          if (text.length < MAX_TEXT) text += chunk.toString("utf8");
          return;
        }
        try {
          stream(chunk);
        } catch (err) {
          // A handler that cannot read the answer ends the exchange with its error.
          request.destroy();
          reject(err);
        }
      });
      response.on("end", () => resolve({ status, text, headers: response.headers }));
      response.on("error", reject);
    });
    request.on("error", (err) => reject(options.signal.aborted ? options.signal.reason : err));
    request.end(body);
  });
}

/** `connection refused (ECONNREFUSED)` rather than a bare error code. */
export function networkReason(err: unknown): string {
  const { code, message } = err as NodeJS.ErrnoException;
  if (code === "ECONNREFUSED") return "connection refused (ECONNREFUSED)";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `host not found (${code})`;
  if (code === "ECONNRESET") return "connection reset by the server (ECONNRESET)";
  return code ? `${message} (${code})` : message;
}

/** What an error status's body says, as one short line (empty when it says nothing). */
export function errorDetail(text: string): string {
  return text.trim().split("\n")[0].slice(0, 300);
}
