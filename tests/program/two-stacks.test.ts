/** Two developers' stacks on one Docker host: nothing physical may collide. Each plan runs in its own process. */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Plan } from "../../scripts/plan";

const ROOT = path.resolve(__dirname, "../..");

function plan(stack: string, config: string): Plan {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "promemu-stack-")), `Pulumi.${stack}.yaml`);
  fs.writeFileSync(file, config);
  const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/plan.ts", "--stack", stack, "--config", file], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return JSON.parse(out) as Plan;
}

/** Names Docker enforces as unique per host, and the host ports bound. */
function physical(p: Plan) {
  const names: string[] = [];
  const ports: string[] = [];
  for (const r of p.resources) {
    if (r.type.startsWith("docker:index/") && typeof r.inputs.name === "string" && r.type !== "docker:index/remoteImage:RemoteImage") {
      names.push(r.inputs.name);
    }
    if (r.type === "docker:index/image:Image") names.push(r.inputs.imageName as string);
    for (const port of (r.inputs.ports ?? []) as { ip: string; external: number }[]) ports.push(`${port.ip}:${port.external}`);
  }
  return { names, ports };
}

describe("two stacks side by side", () => {
  let alice: ReturnType<typeof physical>;
  let bob: ReturnType<typeof physical>;
  beforeAll(() => {
    alice = physical(plan("alice", "config:\n  promemu:portOffset: 0\n"));
    bob = physical(plan("bob", "config:\n  promemu:portOffset: 100\n"));
  });

  it("give every container, volume, network and local image a name carrying its stack", () => {
    expect(alice.names).toHaveLength(13);
    expect(alice.names.every((n) => n.startsWith("promemu-alice"))).toBe(true);
    expect(bob.names.every((n) => n.startsWith("promemu-bob"))).toBe(true);
    expect(alice.names.filter((n) => bob.names.includes(n))).toEqual([]);
  });

  it("bind different host ports when their offsets differ", () => {
    // Six services' ports and the log store's syslog listener (UDP).
    expect(alice.ports).toHaveLength(7);
    expect(bob.ports).toEqual(alice.ports.map((p) => p.replace(/:(\d+)$/, (_, port) => `:${Number(port) + 100}`)));
    expect(alice.ports.filter((p) => bob.ports.includes(p))).toEqual([]);
  });
});
