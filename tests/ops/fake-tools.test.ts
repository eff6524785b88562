/**
 * The fakes stop with the tests that start them: a blocking fake (a `docker unpause` the CLI was told
 * to leave alone by a second signal) used to run on, orphaned, long after `npm test` ended.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { FakeTools } from "./support/fake-tools";

/** Running (not ended, and not a zombie nobody reaped). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

describe("fake docker and pulumi", () => {
  let fakes: FakeTools;
  beforeEach(() => {
    fakes = new FakeTools();
    fakes.on({ tool: "docker", args: ["unpause"], block: true });
  });
  afterEach(() => fakes.remove());

  test("remove() ends a blocking fake that is still running", async () => {
    const child = spawn(path.join(fakes.binDir, "docker"), ["unpause", "promemu-dev-pushgateway"], { env: fakes.env(), stdio: "ignore" });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    expect(await until(() => fakes.calls().length === 1)).toBe(true);
    fakes.remove();
    await exited;
    expect(alive(child.pid!)).toBe(false);
  });

  test("a blocking fake whose parent is gone ends itself", async () => {
    // The shell starts the fake in the background and exits: the fake is orphaned, as after a CLI's second signal.
    // It waits until the fake has recorded its call, so that the fake starts as the shell's child.
    const script = `"${path.join(fakes.binDir, "docker")}" unpause promemu-dev-pushgateway >/dev/null 2>&1 & pid=$!; while [ ! -s "${fakes.dir}/calls.jsonl" ]; do sleep 0.05; done; echo $pid`;
    const shell = spawnSync("/bin/sh", ["-c", script], { env: { ...fakes.env(), PATH: `${fakes.binDir}:/usr/bin:/bin` }, encoding: "utf8", timeout: 10_000 });
    const pid = Number(shell.stdout.trim());
    expect(await until(() => fakes.calls().length === 1)).toBe(true);
    expect(await until(() => !alive(pid), 5_000)).toBe(true);
  });
});
