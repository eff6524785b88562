/**
 * The `promemu` command: list, validate, run, check, backfill, history. Bad input exits 2 with a one-paragraph message and no
 * stack trace; `bin/promemu.js` calls main() and sets the exit code.
 */
import * as fs from "fs";
import * as path from "path";
import { Command, CommanderError, Option } from "commander";
import { Failure, Unavailable, UsageError } from "./errors";
import { Interrupted } from "./cli/interrupt";
import { addBackfillCommand } from "./cli/backfill";
import { addCheckCommand } from "./cli/check";
import { addHistoryCommand } from "./cli/history";
import { MAX_SERIES_HINT, type RawRunOptions, parseRunOptions, parseWhole } from "./cli/options";
import { guardOutput } from "./cli/output";
import { collectHeader } from "./cli/remote-write-headers";
import { runCommand } from "./cli/run";
import { collectSet, parseSetOption } from "./cli/set";
import { Terminal } from "./cli/status";
import type { CompiledScenario } from "./model/types";
import { DEFAULT_MAX_SERIES, MAX_SERIES_LIMIT } from "./scenario/capacity";
import { seriesPerHost } from "./scenario/compile";
import { selectShard } from "./scenario/shard";
import { builtinScenarios, loadScenario } from "./scenario/loader";

function version(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")).version;
  } catch {
    return "unknown";
  }
}

/** Sample lines one push carries when every host is up. */
function seriesPerPush(scenario: CompiledScenario): number {
  let total = 0;
  for (const host of scenario.hosts) total += seriesPerHost(host.shape);
  return total;
}

const MAX_SERIES_HELP = `refuse a scenario above this many series (default ${DEFAULT_MAX_SERIES}; the message shows its estimated memory)`;

/** `--max-series` of validate (run's goes through parseRunOptions with the other options). */
function validateMaxSeries(value: string): number {
  const n = parseWhole(value, 1, MAX_SERIES_LIMIT);
  if (n === undefined) throw new UsageError(`--max-series "${value}": ${MAX_SERIES_HINT}`);
  return n;
}

function summary(scenario: CompiledScenario): string {
  const roles = new Set(scenario.hosts.map((h) => h.shape.role));
  return `${scenario.hosts.length} host${scenario.hosts.length === 1 ? "" : "s"} in ${roles.size} role${roles.size > 1 ? "s" : ""} (${[...roles].join(", ")}), ${scenario.families.length} metrics, ${seriesPerPush(scenario)} series per push`;
}

/** The exit code, and what a closed stdout or stderr does: a run stops as on SIGTERM; other commands just finish, unheard. */
export interface ExitState {
  code: number;
  onOutputClosed?: () => void;
}

export function buildProgram(out: (text: string) => void, terminal: Terminal, exit: ExitState): Command {
  const program = new Command("promemu")
    .description("A scriptable Prometheus workload: emulated hosts, scenarios and events, pushed to a Pushgateway or scraped.")
    .version(version())
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: (text) => process.stderr.write(text) })
    .showHelpAfterError("(run promemu --help for usage)");

  program
    .command("list")
    .description("list the built-in scenarios and their parameters")
    .action(() => {
      for (const name of builtinScenarios()) {
        const { scenario, params } = loadScenario(name);
        out(`${name}\n  ${scenario.description || "(no description)"}\n  ${summary(scenario)}\n`);
        out(`  parameters: ${params.size ? [...params].map(([k, v]) => `${k}=${v}`).join(", ") : "none"}\n`);
      }
    });

  program
    .command("validate")
    .description("check a scenario file (or built-in name); exit 0 when valid, 2 with the problem otherwise")
    .argument("<file>", "scenario YAML file or built-in name")
    .option("--set <key=value>", "override a scenario parameter (repeatable, comma-separated, or a JSON object)", collectSet, [])
    .option("--max-series <n>", MAX_SERIES_HELP)
    .action((file: string, opts: { set: string[]; maxSeries?: string }) => {
      const maxSeries = opts.maxSeries === undefined ? DEFAULT_MAX_SERIES : validateMaxSeries(opts.maxSeries);
      const { scenario } = loadScenario(file, parseSetOption(opts.set, "--set"), { maxSeries, override: "--max-series" });
      out(`${file}: valid scenario "${scenario.name}": ${summary(scenario)}\n`);
    });

  program
    .command("run")
    .description("play a scenario on the wall clock, pushing to a Pushgateway and/or serving it for scrapes")
    .addOption(new Option("--scenario <name|file>", "built-in scenario name or YAML file").default("default").env("PROMEMU_SCENARIO"))
    .addOption(new Option("--pushgateway-url <url>", "Pushgateway base URL, e.g. http://localhost:9091").env("PROMEMU_PUSHGATEWAY_URL"))
    .addOption(new Option("--push-interval <duration>", "wall time between pushes").default("15s").env("PROMEMU_PUSH_INTERVAL"))
    .addOption(new Option("--push-timeout <duration>", "timeout of each request to the Pushgateway").default("10s").env("PROMEMU_PUSH_TIMEOUT"))
    .addOption(new Option("--duration <duration>", "scenario time to play, then stop (default: until SIGINT/SIGTERM)").env("PROMEMU_DURATION"))
    .addOption(new Option("--seed <n>", "random seed: the same seed plays the same series").default("42").env("PROMEMU_SEED"))
    .addOption(
      new Option("--set <key=value>", "override a scenario parameter (repeatable, comma-separated, or a JSON object such as '{\"hosts.count\": 50}')")
        .argParser(collectSet)
        .default([])
        .env("PROMEMU_SET"),
    )
    .addOption(new Option("--listen <[host]:port>", "serve /healthz, /metrics and /emulated, e.g. :9464").env("PROMEMU_LISTEN"))
    .addOption(new Option("--speed <factor>", "scenario time runs this many times faster than the wall clock").default("1").env("PROMEMU_SPEED"))
    .addOption(new Option("--job <name>", "Pushgateway job of the pushed groups").default("promemu").env("PROMEMU_JOB"))
    .addOption(new Option("--owner <id>", "ownership mark of our groups (default promemu-<hostname>)").env("PROMEMU_OWNER"))
    .addOption(
      new Option("--shards <n|auto>", "number of Pushgateway groups the hosts are spread over, or of remote-write queues (one request in flight each)")
        .default("auto")
        .env("PROMEMU_SHARDS"),
    )
    .addOption(new Option("--remote-write-url <url>", "send with Prometheus remote write 1.0 instead, e.g. http://localhost:9090/api/v1/write").env("PROMEMU_REMOTE_WRITE_URL"))
    .addOption(new Option("--remote-write-username <name>", "basic authentication user (password from --remote-write-password-file or PROMEMU_REMOTE_WRITE_PASSWORD)").env("PROMEMU_REMOTE_WRITE_USERNAME"))
    .addOption(new Option("--remote-write-password-file <path>", "file holding the basic authentication password").env("PROMEMU_REMOTE_WRITE_PASSWORD_FILE"))
    .addOption(new Option("--remote-write-bearer-token-file <path>", "file holding a bearer token (or PROMEMU_REMOTE_WRITE_BEARER_TOKEN)").env("PROMEMU_REMOTE_WRITE_BEARER_TOKEN_FILE"))
    .addOption(new Option("--remote-write-batch <n>", "most samples per remote-write request (default 2000)").env("PROMEMU_REMOTE_WRITE_BATCH"))
    .addOption(new Option("--remote-write-max-pending <n>", "samples kept for retries before the oldest are dropped (default 2000000)").env("PROMEMU_REMOTE_WRITE_MAX_PENDING"))
    .addOption(
      new Option("--remote-write-header <name=value>", "send this header with every remote-write request, e.g. THANOS-TENANT=team-a (repeatable, comma-separated)")
        .argParser(collectHeader)
        .env("PROMEMU_REMOTE_WRITE_HEADERS"),
    )
    .addOption(new Option("--loki-url <url>", "push the hosts' logs (their scenario `logs`) with the Loki push API, e.g. http://localhost:3100/loki/api/v1/push").env("PROMEMU_LOKI_URL"))
    .addOption(new Option("--loki-batch <n>", "most log lines per push request (default 5000)").env("PROMEMU_LOKI_BATCH"))
    .addOption(new Option("--loki-max-pending <n>", "log lines kept for retries before the oldest are dropped (default 1000000)").env("PROMEMU_LOKI_MAX_PENDING"))
    .addOption(new Option("--loki-encoding <protobuf|json|json-gzip>", "body of the Loki pushes: protobuf (snappy, what Promtail sends), json or json-gzip (default protobuf)").env("PROMEMU_LOKI_ENCODING"))
    .addOption(new Option("--loki-tenant <id>", "send X-Scope-OrgID: <id> (Loki's tenant; VictoriaLogs: AccountID[:ProjectID])").env("PROMEMU_LOKI_TENANT"))
    .addOption(new Option("--shard <k/n>", "run only shard k of n of the fleet (a stable hash of each host name), for n emulator processes").env("PROMEMU_SHARD"))
    .addOption(new Option("--start-at <time>", "wall time of scenario time 0, e.g. the --from of a backfill (RFC 3339, or -7d): the engine first plays up to now").env("PROMEMU_START_AT"))
    .addOption(new Option("--history <duration>", "scenario time 0 is this long ago (--start-at -<duration>)").env("PROMEMU_HISTORY"))
    .addOption(new Option("--status-interval <duration>", "time between status lines on stderr (0: none)").default("60s").env("PROMEMU_STATUS_INTERVAL"))
    .addOption(new Option("--max-series <n>", MAX_SERIES_HELP).env("PROMEMU_MAX_SERIES"))
    .action(async (raw: RawRunOptions, command: Command) => {
      // Name the variable when the bad value came from the environment, the flag otherwise.
      const nameOf = (key: keyof RawRunOptions) => {
        const option = command.options.find((o) => o.attributeName() === key)!;
        return command.getOptionValueSource(key) === "env" ? option.envVar! : option.long!;
      };
      // Every problem with the command line at once: the options', then the scenario's.
      const problems: string[] = [];
      const collect = <T>(work: () => T): T | undefined => {
        try {
          return work();
        } catch (err) {
          if (!(err instanceof UsageError)) throw err;
          problems.push(err.message);
          return undefined;
        }
      };
      const setName = nameOf("set");
      const set = collect(() => parseSetOption(raw.set, setName));
      // Secrets come from the environment only (a flag would show them in `ps`), or from files.
      const secrets = { remoteWritePassword: process.env.PROMEMU_REMOTE_WRITE_PASSWORD || undefined, remoteWriteBearerToken: process.env.PROMEMU_REMOTE_WRITE_BEARER_TOKEN || undefined };
      const options = collect(() => parseRunOptions({ ...raw, set: set ?? [], ...secrets }, nameOf));
      const override = `${nameOf("maxSeries")}${command.getOptionValueSource("maxSeries") === "env" ? "" : " (PROMEMU_MAX_SERIES)"}`;
      const loaded = set && collect(() => loadScenario(raw.scenario, set, { maxSeries: options?.maxSeries ?? DEFAULT_MAX_SERIES, override }, setName));
      const scenario = loaded && options?.shard ? collect(() => selectShard(loaded.scenario, options.shard!, nameOf("shard"))) : loaded?.scenario;
      if (problems.length > 0) throw new UsageError(problems.join("\n"));
      exit.code = await runCommand({ ...options!, userAgent: `promemu/${version()}` }, scenario!, terminal, exit);
    });

  addCheckCommand(program, out, terminal, exit);
  addBackfillCommand(program, terminal);
  addHistoryCommand(program, terminal);
  return program;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const exit: ExitState = { code: 0 };
  // A reader that went away (`promemu list | head -1`) ends the command quietly, not with an EPIPE trace;
  // any other failure to write (a full disk) makes the exit code 1 whatever the command returned.
  let outputFailed = false;
  const failed = (message: string) => {
    outputFailed = true;
    process.stderr.write(`promemu: ${message}\n`);
    exit.onOutputClosed?.();
  };
  process.once("exit", () => {
    if (outputFailed && !process.exitCode) process.exitCode = 1;
  });
  guardOutput(process.stdout, "standard output", { closed: () => exit.onOutputClosed?.(), failed });
  guardOutput(process.stderr, "standard error", { closed: () => exit.onOutputClosed?.(), failed });
  const terminal = new Terminal(process.stderr);
  const program = buildProgram((text) => process.stdout.write(text), terminal, exit);
  try {
    await program.parseAsync(argv, { from: "user" });
    return exit.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its message; help and --version are not errors.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UsageError || err instanceof Unavailable || err instanceof Failure) {
      // One problem per line, each marked as ours.
      process.stderr.write(err.message.split("\n").map((line) => `promemu: ${line}\n`).join(""));
      return err.exitCode;
    }
    if (err instanceof Interrupted) {
      process.stderr.write(`promemu: ${err.message}${err.detail ? `: ${err.detail}` : ""}\n`);
      return err.exitCode;
    }
    const message = process.env.PROMEMU_DEBUG ? ((err as Error).stack ?? String(err)) : `${(err as Error).message} (set PROMEMU_DEBUG=1 for details)`;
    process.stderr.write(`promemu: ${message}\n`);
    return 1;
  }
}
