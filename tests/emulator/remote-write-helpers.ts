/** Shared by the remote-write suites: a decoder independent of the emulator's encoder (protobufjs), and a fake receiver. */
import * as http from "http";
import * as protobuf from "protobufjs";
import { compress, uncompress } from "../../emulator/src/sinks/remote-write/batcher";

const root = protobuf.parse(`
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
`).root;
const WriteRequest = root.lookupType("prometheus.WriteRequest");

export interface DecodedSeries {
  labels: [string, string][];
  samples: { value: number; timestamp: number }[];
}

/** A snappy-compressed WriteRequest body made by protobufjs (labels sorted by name), not by the emulator's encoder. */
export function encodeBody(series: DecodedSeries[]): Uint8Array {
  const message = WriteRequest.fromObject({
    timeseries: series.map((s) => ({ labels: [...s.labels].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, value]) => ({ name, value })), samples: s.samples })),
  });
  return compress(WriteRequest.encode(message).finish());
}

/** A snappy-compressed WriteRequest body, decoded by protobufjs. */
export function decodeBody(body: Uint8Array): DecodedSeries[] {
  const message = WriteRequest.toObject(WriteRequest.decode(uncompress(body)), { longs: Number, defaults: true }) as {
    timeseries: { labels: { name: string; value: string }[]; samples: { value: number; timestamp: number }[] }[];
  };
  return message.timeseries.map((ts) => ({ labels: ts.labels.map((l) => [l.name, l.value]), samples: ts.samples }));
}

export interface ReceivedRequest {
  at: number;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface FakeReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** The most requests that were ever open at once. */
  maxInFlight(): number;
  close(): Promise<void>;
}

/** A receiver on a free loopback port that answers each request with `answer(index)` (0-based). */
export async function startFakeReceiver(answer: (index: number, request: ReceivedRequest) => { status: number; headers?: Record<string, string> }): Promise<FakeReceiver> {
  const requests: ReceivedRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = http.createServer((req, res) => {
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    res.on("close", () => inFlight--);
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request = { at: Date.now(), method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) };
      const { status, headers } = answer(requests.length, request);
      requests.push(request);
      res.writeHead(status, headers).end(status >= 300 ? `answer ${status}\n` : "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/api/v1/write`,
    requests,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
