/** `promemu run`: the scenario on the wall clock, pushed and/or served, until the duration ends or a signal arrives. */
import { startHttpServer, type RunningHttpServer } from "../http/server";
import type { CompiledScenario } from "../model/types";
import { Runner } from "../runner";
import { autoShardCount } from "../sinks/grouping";
import { Telemetry } from "../telemetry";
import { formatDuration } from "../util/duration";
import { redactUrl } from "../util/url";
import { SIGNAL_EXIT_CODES, type StopSignal } from "./interrupt";
import type { RunOptions } from "./options";
import { type Terminal, formatProgress, formatStatus } from "./status";

const PROGRESS_REFRESH_MS = 1_000;

/** `exit.onOutputClosed` is set for the run: a closed stderr stops it as SIGTERM would, without a word. */
export async function runCommand(options: RunOptions, scenario: CompiledScenario, terminal: Terminal, exit: { onOutputClosed?: () => void } = {}): Promise<number> {
  let quiet = false;
  const log = (line: string) => {
    if (!quiet) terminal.log(line);
  };
  // The Pushgateway's URL as it may be shown: credentials stay in the requests' Authorization header.
  const shownUrl = options.pushgatewayUrl === undefined ? undefined : redactUrl(options.pushgatewayUrl);
  const telemetry = new Telemetry();
  const shards = options.shards ?? autoShardCount(scenario.hosts.length);
  const runner = new Runner({
    scenario,
    seed: options.seed,
    speed: options.speed,
    pushIntervalMs: options.pushIntervalMs,
    durationMs: options.durationMs,
    startAtMs: options.startAtMs,
    remoteWrite: options.remoteWrite && {
      url: options.remoteWrite.url,
      authorization: options.remoteWrite.authorization,
      userAgent: options.userAgent ?? "promemu",
      timeoutMs: options.pushTimeoutMs,
      shards,
      maxSamplesPerRequest: options.remoteWrite.maxSamplesPerRequest,
      maxPendingSamples: options.remoteWrite.maxPendingSamples,
      headers: options.remoteWrite.headers,
    },
    loki: options.loki && {
      url: options.loki.url,
      userAgent: options.userAgent ?? "promemu",
      timeoutMs: options.pushTimeoutMs,
      maxLinesPerRequest: options.loki.maxLinesPerRequest,
      maxPendingLines: options.loki.maxPendingLines,
      encoding: options.loki.encoding,
      tenant: options.loki.tenant,
      job: options.job,
    },
    pushgateway: options.pushgatewayUrl
      ? { url: options.pushgatewayUrl, job: options.job, owner: options.owner, timeoutMs: options.pushTimeoutMs, shards }
      : undefined,
    telemetry,
    log,
  });

  const startedAt = Date.now();
  let server: RunningHttpServer | undefined;
  if (options.listen) {
    server = await startHttpServer(
      options.listen,
      {
        health: () => {
          const status = runner.status();
          return {
            status: "ok",
            scenario: scenario.name,
            uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
            scenarioTimeSeconds: Math.round(status.scenarioTimeMs / 1000),
            hostsActive: status.hostsActive,
            hostsTotal: status.hostsTotal,
            series: status.series,
            pushgateway: { url: shownUrl ?? null, state: status.pushgateway, pushesOk: status.pushesOk, pushesFailed: status.pushesFailed },
            ...(status.remoteWrite ? { remoteWrite: { url: redactUrl(options.remoteWrite!.url), ...status.remoteWrite } } : {}),
            ...(status.loki ? { loki: { url: redactUrl(options.loki!.url), ...status.loki } } : {}),
          };
        },
        ownMetrics: async () => ({ contentType: telemetry.registry.contentType, body: await telemetry.registry.metrics() }),
        emulated: () => runner.renderAll(),
        exporter: (host) => runner.renderExporter(host),
        targets: (profile, address) => runner.exporterTargets(profile, address),
      },
      log,
    );
  }

  const target = options.remoteWrite
    ? `remote write to ${redactUrl(options.remoteWrite.url)} every ${formatDuration(options.pushIntervalMs)} (${shards} queue${shards > 1 ? "s" : ""}, at most ${options.remoteWrite.maxSamplesPerRequest} samples per request${options.remoteWrite.authorization ? `, ${options.remoteWrite.authorization.split(" ")[0].toLowerCase()} authentication` : ""})`
    : options.pushgatewayUrl
    ? `pushing to ${shownUrl} every ${formatDuration(options.pushIntervalMs)} (job ${options.job}, owner ${options.owner}, ${shards} group${shards > 1 ? "s" : ""})`
    : "not pushing (no --pushgateway-url)";
  const logsTarget = options.loki
    ? `; logs of ${scenario.hosts.filter((h) => h.shape.logs?.length).length} hosts to ${redactUrl(options.loki.url)} (${options.loki.encoding}, at most ${options.loki.maxLinesPerRequest} lines per request${options.loki.tenant === undefined ? "" : `, tenant ${options.loki.tenant}`})`
    : "";
  log(
    `scenario ${scenario.name}: ${scenario.hosts.length} hosts${options.shard && options.shard.count > 1 ? ` (shard ${options.shard.index}/${options.shard.count})` : ""}, seed ${options.seed}, speed ${options.speed}x, ` +
      `${options.durationMs === undefined ? "until stopped" : `for ${formatDuration(options.durationMs)} of scenario time`}` +
      `${options.startAtMs === undefined ? "" : ` after the history since ${new Date(options.startAtMs).toISOString()}`}; ${target}${logsTarget}` +
      (server ? `; serving /healthz, /metrics and /emulated on ${server.url}` : ""),
  );

  const timers: NodeJS.Timeout[] = [];
  if (options.statusIntervalMs > 0) timers.push(setInterval(() => log(formatStatus(runner.status())), options.statusIntervalMs));
  if (terminal.interactive && options.durationMs !== undefined) {
    const total = options.durationMs;
    timers.push(setInterval(() => terminal.showProgress(formatProgress(runner.liveTime(), total)), PROGRESS_REFRESH_MS));
  }

  let signalled: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      log(`${signal} again: exiting without ${options.remoteWrite ? "sending the queued samples" : "removing our groups"}`);
      process.exit(130);
    }
    signalled = signal;
    if (!runner.live) log(`${signal}: stopping while the history is played (nothing was sent yet)`);
    else log(`${signal}: stopping and ${options.remoteWrite ? "sending the queued samples (3 s at most)" : "removing our groups"}`);
    void runner.stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  exit.onOutputClosed = () => {
    quiet = true;
    terminal.mute();
    void runner.stop();
  };

  void runner.start();
  await runner.done;

  for (const timer of timers) clearInterval(timer);
  terminal.clearProgress();
  log(formatStatus(runner.status()));
  await server?.close();
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  exit.onOutputClosed = undefined;
  // A signal before the run went live interrupted its start: exit as interrupted (130/143), not as a finished run.
  return signalled && !runner.live ? SIGNAL_EXIT_CODES[signalled as StopSignal] : 0;
}
