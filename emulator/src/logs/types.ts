/**
 * What the engine's log sources write to: streams (one per host and log source, labelled like the
 * host's metrics) and lines stamped with scenario time. The engine stays free of I/O: a sink is
 * injected (the run's buffer, a test's array), and the I/O edge drains it.
 */

export interface LogStream {
  /** Dense index over the engine's streams (a buffer's slot). */
  readonly index: number;
  readonly host: string;
  /** access, syslog, postgres or events. */
  readonly source: string;
  /** Label pairs: job, [instance], host, role, service_name. */
  readonly labels: ReadonlyArray<readonly [string, string]>;
}

export interface LogSink {
  /** One line of a stream at scenario time t (ms); a stream's lines arrive in time order. */
  write(stream: LogStream, t: number, line: string): void;
}

/** A host's log source while the host runs: called after each tick of the host (and its exporter). */
export interface HostLogSource {
  /** `from` is the scenario time of the host's previous tick (its start, at the first). */
  tick(from: number, t: number): void;
}
