/**
 * The Loki push sink, as a live run and a backfill build it: remote write's queue and client (the same retries,
 * backoff and bounds) carrying the encoding's bodies and content headers, and the tenant's X-Scope-OrgID. One shard,
 * so that a stream's lines stay in order.
 */
import { splitCredentials } from "../../util/url";
import { RemoteWriteClient } from "../remote-write/client";
import { RemoteWriteQueue, type RemoteWriteQueueOptions } from "../remote-write/queue";
import { type LokiEncoder, type LokiEncoding, lokiProtocol } from "./push";

/** Where the lines go, and how. */
export interface LokiEndpoint {
  /** The push URL: .../loki/api/v1/push (Loki) or .../insert/loki/api/v1/push (VictoriaLogs). */
  url: string;
  authorization?: string;
  userAgent: string;
  timeoutMs: number;
  /** protobuf (snappy), json or json-gzip. */
  encoding: LokiEncoding;
  /** Sent as X-Scope-OrgID (Loki's tenant; VictoriaLogs reads it as AccountID[:ProjectID]). */
  tenant?: string;
}

/** The sink's queue, and the encoder whose batches it takes. `queue`: the queue's other options (bounds, log, events). */
export function lokiPushSink(
  endpoint: LokiEndpoint,
  queue: Omit<RemoteWriteQueueOptions, "client" | "shards" | "naming">,
): { queue: RemoteWriteQueue; encode: LokiEncoder } {
  const protocol = lokiProtocol(endpoint.encoding);
  const client = new RemoteWriteClient({
    endpoint: splitCredentials(endpoint.url),
    authorization: endpoint.authorization,
    userAgent: endpoint.userAgent,
    timeoutMs: endpoint.timeoutMs,
    now: queue.now,
    contentHeaders: protocol.headers,
    extraHeaders: endpoint.tenant === undefined ? undefined : { "X-Scope-OrgID": endpoint.tenant },
  });
  return { queue: new RemoteWriteQueue({ ...queue, client, shards: 1, naming: { sink: "loki push", unit: "log lines" } }), encode: protocol.encode };
}
