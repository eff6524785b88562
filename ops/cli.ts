/**
 * The operations CLI (`npm run <command>` or `npm run ops -- <command>`): up, down, restart, status, logs,
 * backup, restore, cleanup, config and stack:new for any developer's stack. `main` takes the context as
 * a parameter so the tests run it in-process against fake docker/pulumi executables.
 */
import { Command, CommanderError } from "commander";
import { backupCommand } from "./commands/backup";
import { cleanupCommand } from "./commands/cleanup";
import { configCommand } from "./commands/config";
import { downCommand, restartCommand, upCommand } from "./commands/lifecycle";
import { logsCommand } from "./commands/logs";
import { restoreCommand } from "./commands/restore";
import { MAX_PORT_OFFSET, stackNewCommand } from "./commands/stack-new";
import { statusCommand } from "./commands/status";
import { OpsContext, processContext } from "./context";
import { fileSystemError, OpsError } from "./errors";
import { handleProcessInterruptions, INTERRUPT_EXIT_CODES, InterruptedError } from "./interrupt";
import { nonEmpty, seconds, wholeNumber, wholeNumberOr } from "./options";

const STACK_HELP = "stack to work on (default: the selected stack, else dev)";
/** A day: longer than any restore should take, short enough to notice a typo such as 18000. */
const MAX_TIMEOUT_S = 86_400;

function buildProgram(ctx: OpsContext, finish: (code: number) => void): Command {
  const program = new Command("ops")
    .description("Operate a promemu stack: Pushgateway, Prometheus, Alertmanager, Grafana and the metrics emulator on Docker.")
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) })
    .showHelpAfterError("(add --help for usage)")
    .addHelpText("after", "\nEvery command has --help. Documentation: docs/operations.md");
  const command = (name: string, summary: string) =>
    program
      .command(name)
      .description(summary)
      .option("-s, --stack <name>", STACK_HELP);
  const done = (work: Promise<number>) => work.then(finish);

  command("up", "create or update the stack (pulumi up), creating the stack first when it is new").action((o) => done(upCommand(ctx, o)));
  command("down", "remove the containers and network (pulumi destroy); data volumes stay unless keepData is false").action((o) =>
    done(downCommand(ctx, o)),
  );
  command("restart", "replace the containers (all, or one service), keeping the data volumes")
    .argument("[service]", "only this service, e.g. prometheus")
    .action((service, o) => done(restartCommand(ctx, service, o)));
  command("status", "container state, health, URL of every service, Prometheus' scrape targets and firing alerts; exit code 1 when unhealthy")
    .option("--json", "print JSON for scripts")
    .action((o) => done(statusCommand(ctx, o)));
  command("logs", "a service's logs (docker logs), or every service's with a prefix")
    .argument("[service]", "pushgateway, prometheus, alertmanager, grafana or emulator")
    .option("-f, --follow", "keep printing new lines")
    .option("--tail <lines>", "only the last lines of each service ('all' for everything)", wholeNumberOr("--tail", ["all"], 10_000_000))
    .option("--since <time>", "only lines since a time or duration, e.g. 10m or 2025-01-31T12:00:00", nonEmpty("--since", "a time or duration such as 10m"))
    .action((service, o) => done(logsCommand(ctx, service, o)));
  command("backup", "consistent copy of every data volume into backups/<stack>/<timestamp>/ with a manifest")
    .option("-o, --output <dir>", "base directory instead of backups/", nonEmpty("--output", "a directory"))
    .action((o) => done(backupCommand(ctx, o)));
  command("restore", "put a backup back (checksums verified first) and wait until the services are healthy")
    .argument("<dir>", "a backup directory, e.g. backups/dev/2025-01-31T120501Z")
    .option("-y, --yes", "do not ask for confirmation")
    .option("--timeout <seconds>", "how long to wait for the services to become healthy (default 180)", seconds("--timeout", MAX_TIMEOUT_S))
    .action((dir, o) => done(restoreCommand(ctx, dir, o)));
  command("cleanup", "destroy the stack AND delete its data volumes (asks first)")
    .option("-y, --yes", "do not ask for confirmation")
    .action((o) => done(cleanupCommand(ctx, o)));
  command("config", "the stack's effective configuration: defaults filled in, secrets masked (works offline)")
    .option("--json", "print JSON for scripts")
    .action((o) => done(configCommand(ctx, o)));
  program
    .command("stack:new")
    .description("create a developer stack with a free port offset, ready for up")
    .argument("<name>", "stack name: lower-case letters, digits and dashes")
    .option("--offset <n>", "use this portOffset instead of the first free one", wholeNumber("--offset", 0, MAX_PORT_OFFSET))
    .option("--bind-address <ip>", "host address for the published ports (default 127.0.0.1)", nonEmpty("--bind-address", "an IPv4 address such as 127.0.0.1"))
    .action((name, o) => done(stackNewCommand(ctx, name, o)));
  return program;
}

/** Runs the CLI with `argv` (without node and script) and resolves with the exit code. */
export async function main(argv: string[], ctx: OpsContext = processContext()): Promise<number> {
  let code = 0;
  const program = buildProgram(ctx, (c) => {
    code = c;
  });
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 2;
    }
    await program.parseAsync(argv, { from: "user" });
    return exitCode(ctx, code);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successes; everything else commander rejects is a usage error (already printed).
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof InterruptedError) {
      // Asked for (Ctrl-C) or nobody reading (SIGPIPE): not an error; the clean-up has been reported already.
      if (err.signal !== "SIGPIPE") ctx.stderr.write(`${err.message}\n`);
      return err.exitCode;
    }
    const plain = err instanceof OpsError ? err : fileSystemError(err);
    if (plain) {
      ctx.stderr.write(`error: ${plain.message}\n`);
      return plain.exitCode;
    }
    throw err;
  }
}

/** The exit code once the command has ended: the interruption's when it came (130, 143), else the command's. */
function exitCode(ctx: OpsContext, code: number): number {
  const signal = ctx.interrupt.signal;
  // A closed output after the work was done is no failure (`config | head -1`).
  return signal && signal !== "SIGPIPE" ? INTERRUPT_EXIT_CODES[signal] : code;
}

if (require.main === module) {
  const ctx = processContext();
  handleProcessInterruptions(ctx);
  main(process.argv.slice(2), ctx).then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      process.stderr.write(`internal error (please report it): ${err.stack ?? err.message}\n`);
      process.exitCode = 70;
    },
  );
}
