/**
 * The Loki push API (`POST /loki/api/v1/push`, JSON): `{"streams": [{"stream": {labels}, "values":
 * [["<unix ns>", "<line>"], ...]}]}`. Accepted by Loki and by VictoriaLogs (`/insert/loki/api/v1/push`).
 * Batches hold at most `maxLines` lines (a stream's lines may span batches, in order), so that one
 * request stays well under the receivers' request size limits (docs/logs.md).
 */
import type { StreamLines } from "../../logs/buffer";
import type { Batch } from "../remote-write/queue";

export const LOKI_JSON_HEADERS = { "Content-Type": "application/json" } as const;

/** The labels of a stream as a JSON object text, once per stream. */
const labelJson = new WeakMap<object, string>();
function labelsOf(stream: StreamLines["stream"]): string {
  let text = labelJson.get(stream);
  if (text === undefined) {
    text = `{${stream.labels.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`;
    labelJson.set(stream, text);
  }
  return text;
}

/**
 * JSON push bodies of the given streams' lines, `maxLines` lines at most each; `wallMs` turns a
 * line's scenario time into Unix ms (the run's clock).
 */
export function encodeLokiJson(groups: readonly StreamLines[], maxLines: number, wallMs: (scenarioMs: number) => number): Batch[] {
  const batches: Batch[] = [];
  let parts: string[] = [];
  let lines = 0;
  let oldest = Infinity;
  const finish = () => {
    if (lines === 0) return;
    batches.push({ body: Buffer.from(`{"streams":[${parts.join(",")}]}`), samples: lines, oldestMs: oldest });
    parts = [];
    lines = 0;
    oldest = Infinity;
  };
  for (const group of groups) {
    let i = 0;
    while (i < group.lines.length) {
      const take = Math.min(group.lines.length - i, maxLines - lines);
      const values: string[] = new Array(take);
      for (let k = 0; k < take; k++) {
        const ms = wallMs(group.times[i + k]);
        if (ms < oldest) oldest = ms;
        values[k] = `["${ms}000000",${JSON.stringify(group.lines[i + k])}]`;
      }
      parts.push(`{"stream":${labelsOf(group.stream)},"values":[${values.join(",")}]}`);
      lines += take;
      i += take;
      if (lines >= maxLines) finish();
    }
  }
  finish();
  return batches;
}
