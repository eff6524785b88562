/**
 * jest global setup: the pinned server programs (Prometheus, promtool, Alertmanager, amtool, Pushgateway) for
 * every suite, and Thanos (receive, query) for the distributed-receive suite. When Go is on PATH, scripts/servers/build.sh builds them at the versions config/settings.ts pins
 * (idempotent: a second run takes under a second; a cold build several minutes, with its progress shown), so
 * that on a fresh machine `npm test` alone runs every suite. Their folder goes first on PATH: the emulator's
 * CLI run by the tests (backfill, history, check --offline) looks promtool and prometheus up there, and so
 * finds the same versions as the harness. Without Go, the suites that need them skip with a notice
 * (tests/support/servers.ts describeWith; a failure under CI=true).
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { findOnPath } from "../../emulator/src/util/programs";

export default function globalSetup(): void {
  const script = path.join(__dirname, "..", "..", "scripts", "servers", "build.sh");
  let bin: string | undefined;
  if (findOnPath("go")) {
    // stderr is inherited: a cold build shows what it is doing instead of a silent pause.
    const result = spawnSync("bash", [script], { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
    bin = /^PROMEMU_SERVERS_BIN=(.*)$/m.exec(result.stdout ?? "")?.[1];
    if (result.status !== 0) {
      // eslint-disable-next-line no-console
      console.warn(`\nscripts/servers/build.sh exited ${result.status}: the suites that need the missing programs will say which.`);
    }
    // Thanos is no part of the stack (built only when named): the distributed-receive suite needs it.
    const thanos = spawnSync("bash", [script, "thanos"], { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
    if (thanos.status !== 0) {
      // eslint-disable-next-line no-console
      console.warn(`\nscripts/servers/build.sh thanos exited ${thanos.status}: tests/e2e/thanos-receive.test.ts will say so.`);
    }
  } else {
    // eslint-disable-next-line no-console
    console.warn("\nGo is not on PATH: the pinned server programs cannot be built (see scripts/servers/build.sh).");
  }
  if (bin) {
    process.env.PROMEMU_SERVERS_BIN = bin;
    process.env.PATH = [bin, process.env.PATH ?? ""].join(path.delimiter);
  }
}
