/**
 * The Loki push API's protobuf body, read back by a decoder written here from Loki's pkg/push/push.proto
 * (not from the encoder): PushRequest.streams = 1; StreamAdapter.labels = 1, entries = 2, hash = 3;
 * EntryAdapter.timestamp = 1, line = 2, structuredMetadata = 3; google.protobuf.Timestamp.seconds = 1,
 * nanos = 2. The same lines as the JSON body, cut into the same batches; json-gzip is the JSON body gzipped.
 */
import { gunzipSync } from "zlib";
import type { StreamLines } from "../../emulator/src/logs/buffer";
import {
  LOKI_PROTOBUF_HEADERS,
  encodeLokiJson,
  encodeLokiJsonGzip,
  encodeLokiProtobuf,
  lokiProtocol,
  quoteLabelValue,
} from "../../emulator/src/sinks/loki/push";
import { uncompress } from "../../emulator/src/sinks/remote-write/batcher";
import { logFleet } from "./logs-helpers";

/** One field of a message: its number and its value (a varint as a bigint, length-delimited as bytes). */
type Field = { no: number; varint?: bigint; bytes?: Uint8Array };

function fields(data: Uint8Array): Field[] {
  const out: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= data.length) throw new Error("truncated varint");
      const b = data[at++];
      value |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return value;
    }
  };
  while (at < data.length) {
    const key = Number(varint());
    const no = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, varint: varint() });
    else if (wire === 2) {
      const length = Number(varint());
      if (at + length > data.length) throw new Error("truncated field");
      out.push({ no, bytes: data.subarray(at, at + length) });
      at += length;
    } else throw new Error(`wire type ${wire} of field ${no}: not in PushRequest`);
  }
  return out;
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");

interface Decoded {
  labels: string;
  entries: { ns: bigint; line: string }[];
}

/** A snappy-compressed PushRequest as streams; throws on a field the sink does not send. */
function decodePush(body: Uint8Array): Decoded[] {
  return fields(uncompress(body)).map((stream) => {
    expect(stream.no).toBe(1); // PushRequest.streams
    const parts = fields(stream.bytes!);
    const labels = parts.filter((f) => f.no === 1);
    expect(labels).toHaveLength(1);
    expect(parts.every((f) => f.no === 1 || f.no === 2)).toBe(true); // no hash (3)
    const entries = parts
      .filter((f) => f.no === 2)
      .map((entry) => {
        const e = fields(entry.bytes!);
        expect(e.map((f) => f.no)).toEqual([1, 2]); // timestamp, line; no structuredMetadata (3)
        const stamp = fields(e[0].bytes!);
        const seconds = stamp.find((f) => f.no === 1)!.varint!;
        const nanos = stamp.find((f) => f.no === 2)?.varint ?? 0n;
        expect(stamp.every((f) => f.no === 1 || f.no === 2)).toBe(true);
        expect(nanos).toBeLessThan(1_000_000_000n);
        return { ns: seconds * 1_000_000_000n + nanos, line: text(e[1].bytes!) };
      });
    return { labels: text(labels[0].bytes!), entries };
  });
}

/** The JSON body as the same shape, its labels written as selector text the same way. */
function decodeJson(body: Uint8Array): Decoded[] {
  const parsed = JSON.parse(Buffer.from(body).toString("utf8")) as { streams: { stream: Record<string, string>; values: [string, string][] }[] };
  return parsed.streams.map((s) => ({
    labels: `{${Object.entries(s.stream)
      .map(([k, v]) => `${k}=${quoteLabelValue(v)}`)
      .join(", ")}}`,
    entries: s.values.map(([ns, line]) => ({ ns: BigInt(ns), line })),
  }));
}

function group(labels: [string, string][], lines: [number, string][], index = 0): StreamLines {
  return { stream: { index, host: "h", source: "events", labels }, times: lines.map(([t]) => t), lines: lines.map(([, l]) => l) };
}

describe("Loki push, protobuf", () => {
  test("a PushRequest read by a decoder written from push.proto: labels as selector text, ns timestamps, lines", () => {
    const groups = [
      group([["job", "node"], ["instance", "a:9100"], ["host", "a"]], [[0, "first"], [1_500, "second, 1.5 s later"], [2_001, "héllo wörld ✓"]]),
      group([["job", "http"], ["host", "b"]], [[7, "{\"status\":500}"]], 1),
    ];
    const [batch, ...rest] = encodeLokiProtobuf(groups, 100, (t) => 1_767_571_200_000 + t);
    expect(rest).toEqual([]);
    expect(batch).toMatchObject({ samples: 4, oldestMs: 1_767_571_200_000 });
    expect(decodePush(batch.body)).toEqual([
      {
        labels: '{job="node", instance="a:9100", host="a"}',
        entries: [
          { ns: 1_767_571_200_000_000_000n, line: "first" },
          { ns: 1_767_571_201_500_000_000n, line: "second, 1.5 s later" },
          { ns: 1_767_571_202_001_000_000n, line: "héllo wörld ✓" },
        ],
      },
      { labels: '{job="http", host="b"}', entries: [{ ns: 1_767_571_200_007_000_000n, line: '{"status":500}' }] },
    ]);
    // The first bytes, by hand: PushRequest.streams (1, length-delimited) = 0x0a; then, inside, StreamAdapter.labels = 0x0a.
    const raw = uncompress(batch.body);
    expect(raw[0]).toBe(0x0a);
  });

  test("the same lines, labels and nanoseconds as the JSON body, in the same batches (a fleet's 10 minutes)", () => {
    const fleet = logFleet({ seed: 7 });
    fleet.engine.advanceTo(10 * 60_000);
    const groups = fleet.buffer.take();
    const wall = (t: number) => 1_767_571_200_000 + t;
    for (const maxLines of [1, 333, 5000]) {
      const json = encodeLokiJson(groups, maxLines, wall);
      const proto = encodeLokiProtobuf(groups, maxLines, wall);
      expect(proto.map((b) => [b.samples, b.oldestMs])).toEqual(json.map((b) => [b.samples, b.oldestMs]));
      if (maxLines === 1) continue; // thousands of one-line batches: the counts are enough
      expect(proto.map((b) => decodePush(b.body))).toEqual(json.map((b) => decodeJson(b.body)));
    }
    expect(groups.reduce((n, g) => n + g.lines.length, 0)).toBeGreaterThan(5000);
  });

  test("label values quoted as Go's %q: backslash, quote, newline, tab, control characters", () => {
    expect(quoteLabelValue("plain-01:9100")).toBe('"plain-01:9100"');
    expect(quoteLabelValue('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(quoteLabelValue("x\ny\tz\r")).toBe('"x\\ny\\tz\\r"');
    expect(quoteLabelValue("\x01\x7f")).toBe('"\\x01\\x7f"');
    expect(quoteLabelValue("héllo ✓")).toBe('"héllo ✓"');
    const [batch] = encodeLokiProtobuf([group([["job", 'we"ird\\']], [[0, "x"]])], 10, (t) => t);
    expect(decodePush(batch.body)[0].labels).toBe('{job="we\\"ird\\\\"}');
  });

  test("whole seconds carry no nanos field (proto3's default), an empty buffer no batch", () => {
    const [batch] = encodeLokiProtobuf([group([["job", "j"]], [[0, ""]])], 10, () => 1_000_000);
    const entry = fields(fields(fields(uncompress(batch.body))[0].bytes!)[1].bytes!);
    expect(fields(entry[0].bytes!)).toEqual([{ no: 1, varint: 1000n }]);
    expect(text(entry[1].bytes!)).toBe("");
    expect(encodeLokiProtobuf([], 10, (t) => t)).toEqual([]);
  });

  test("headers: application/x-protobuf without Content-Encoding (an absent one is snappy for Loki and VictoriaLogs)", () => {
    expect(lokiProtocol("protobuf")).toEqual({ headers: LOKI_PROTOBUF_HEADERS, encode: encodeLokiProtobuf });
    expect(LOKI_PROTOBUF_HEADERS).toEqual({ "Content-Type": "application/x-protobuf" });
    expect(lokiProtocol("json")).toEqual({ headers: { "Content-Type": "application/json" }, encode: encodeLokiJson });
    expect(lokiProtocol("json-gzip")).toEqual({ headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" }, encode: encodeLokiJsonGzip });
  });

  test("json-gzip: the JSON bodies, gzipped, in the same batches", () => {
    const fleet = logFleet({ seed: 3 });
    fleet.engine.advanceTo(3 * 60_000);
    const groups = fleet.buffer.take();
    const json = encodeLokiJson(groups, 500, (t) => t);
    const gzipped = encodeLokiJsonGzip(groups, 500, (t) => t);
    expect(gzipped.map((b) => [b.samples, b.oldestMs])).toEqual(json.map((b) => [b.samples, b.oldestMs]));
    expect(gzipped.map((b) => gunzipSync(b.body).toString())).toEqual(json.map((b) => Buffer.from(b.body).toString()));
  });
});
