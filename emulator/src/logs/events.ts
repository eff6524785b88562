/**
 * An application's log lines on scenario events, in logfmt (`time=... level=info msg="..."`), the
 * format of Go's log/slog text handler and of many services: e.g. the balancer's "heavy task
 * started" at each peak_start its toggle emits. A line is written at the event's own scenario time.
 */
import type { EmulatorEvent, Listener } from "../events/bus";
import type { EventsLogSpec } from "./schema";
import type { LogHost } from "./source-kit";
import { rfc3339Millis } from "./time-format";
import type { HostLogSource } from "./types";

export class EventsLog implements HostLogSource, Listener {
  constructor(
    private readonly spec: EventsLogSpec,
    private readonly host: LogHost,
  ) {
    spec.lines.forEach((line, i) => host.subscribe(line.on, this, i));
  }

  onEvent(event: EmulatorEvent, tag: number): void {
    const { level, message } = this.spec.lines[tag];
    const { sink, stream, epochMs } = this.host;
    const source = event.source === this.host.name ? "" : ` source=${event.source}`;
    sink.write(stream, event.time, `time=${rfc3339Millis(epochMs + event.time)} level=${level} msg=${JSON.stringify(message)} event=${event.name}${source}`);
  }

  tick(): void {}
}
