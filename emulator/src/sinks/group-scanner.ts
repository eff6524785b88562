/**
 * Reads the grouping labels of every group out of the Pushgateway's GET /api/v1/metrics answer,
 * chunk by chunk. That answer carries every series of every group: 30 MB of JSON at 160,000 series,
 * which JSON.parse would turn into some 150 MB of objects, just to read a few labels per group. The
 * scanner follows the JSON structure byte by byte and parses only `data[i].labels`.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

/** Depth inside `{"data": [ {group} ]}` at which a group's own keys sit. */
const GROUP_DEPTH = 3;
const LABELS_KEY = Buffer.from("labels");

export class GroupLabelsScanner {
  readonly groups: Record<string, string>[] = [];
  private depth = 0;
  private inString = false;
  private escaped = false;
  private expectKey = false;
  /** Bytes of the key being read at group depth (only as many as can tell "labels" from longer keys). */
  private key: number[] = [];
  private lastKey = "";
  /** Chunks of the labels object being captured, or undefined when not capturing. */
  private capture: Buffer[] | undefined;
  private captureStart = -1;

  push(chunk: Uint8Array): void {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.capture) this.captureStart = 0;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) {
          this.escaped = true;
          // An escaped character makes the key something other than a plain "labels".
          if (this.readingKey()) this.key.push(0);
        }
        else if (b === QUOTE) {
          this.inString = false;
          if (this.readingKey()) this.lastKey = Buffer.from(this.key).toString("latin1");
        } else if (this.readingKey() && this.key.length <= LABELS_KEY.length) this.key.push(b);
        continue;
      }
      switch (b) {
        case QUOTE:
          this.inString = true;
          this.key = [];
          break;
        case OPEN_OBJECT:
        case OPEN_ARRAY:
          if (b === OPEN_OBJECT && this.depth === GROUP_DEPTH && this.lastKey === "labels" && !this.expectKey) {
            this.capture = [];
            this.captureStart = i;
          }
          this.depth++;
          if (this.depth === GROUP_DEPTH) {
            this.expectKey = b === OPEN_OBJECT;
            this.lastKey = "";
          }
          break;
        case CLOSE_OBJECT:
        case CLOSE_ARRAY:
          this.depth--;
          if (this.capture && this.depth === GROUP_DEPTH) {
            this.capture.push(bytes.subarray(this.captureStart, i + 1));
            this.groups.push(JSON.parse(Buffer.concat(this.capture).toString("utf8")));
            this.capture = undefined;
          }
          break;
        case COMMA:
          if (this.depth === GROUP_DEPTH) {
            this.expectKey = true;
            this.lastKey = "";
          }
          break;
        case COLON:
          if (this.depth === GROUP_DEPTH) this.expectKey = false;
          break;
      }
    }
    if (this.capture) this.capture.push(Buffer.from(bytes.subarray(this.captureStart)));
  }

  private readingKey(): boolean {
    return this.depth === GROUP_DEPTH && this.expectKey;
  }
}
