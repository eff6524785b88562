/**
 * `logs [service] [--follow]`: `docker logs` of one service, or of all of them with each line prefixed
 * by its service (followed in parallel with --follow), like `docker compose logs`.
 */
import { Writable } from "stream";
import type { ServiceName } from "../../config/settings";
import type { OpsContext } from "../context";
import { run } from "../runner";
import { chooseStack, deployedOutputs, deployedService, deployedServices } from "../stack";

/** A stream that writes each complete line to `target` behind a prefix. */
export function prefixLines(prefix: string, target: NodeJS.WritableStream): Writable {
  let pending = "";
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = (pending + chunk.toString("utf8")).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) target.write(`${prefix}${line}\n`);
      done();
    },
    final(done) {
      if (pending) target.write(`${prefix}${pending}\n`);
      done();
    },
  });
}

export interface LogsOptions {
  stack?: string;
  follow?: boolean;
  tail?: string;
  since?: string;
}

export async function logsCommand(ctx: OpsContext, service: string | undefined, options: LogsOptions): Promise<number> {
  const choice = await chooseStack(ctx, options.stack);
  const outputs = await deployedOutputs(ctx, choice);
  const services = deployedServices(outputs);
  const one = service !== undefined ? deployedService(outputs, service) : undefined;
  const flags = [
    ...(options.follow ? ["--follow"] : []),
    ...(options.tail !== undefined ? ["--tail", options.tail] : []),
    ...(options.since !== undefined ? ["--since", options.since] : []),
  ];
  if (one) {
    await run(ctx, "docker", ["logs", ...flags, outputs.containers[one]!], { stream: true });
    return 0;
  }
  const width = Math.max(...services.map((s) => s.length));
  const show = async (s: ServiceName) => {
    const sink = prefixLines(`${s.padEnd(width)} | `, ctx.stdout);
    try {
      await run(ctx, "docker", ["logs", ...flags, outputs.containers[s]!], { stream: { stdout: sink, stderr: sink } });
    } finally {
      sink.end();
    }
  };
  // Followed logs interleave as they come; a one-off dump shows one service after the other.
  if (options.follow) await Promise.all(services.map(show));
  else for (const s of services) await show(s);
  return 0;
}
