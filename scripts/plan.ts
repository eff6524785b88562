/**
 * `npm run plan -- --stack <name> [--format json|text]`: the resources the program declares for a stack,
 * computed offline under Pulumi's mocks (no Docker, no Pulumi CLI), printed deterministically so that a
 * committed plan shows infrastructure changes as a reviewable diff.
 */
import { Command, Option } from "commander";
import * as path from "path";
import { loadStackConfig, ProgramRun, RecordedResource, runProgramUnderMocks, sortKeys } from "./mocked-program";

export const PROJECT_DIR = path.resolve(__dirname, "..");
export const PROJECT = "promemu";

export interface PlanResource {
  type: string;
  name: string;
  parent: string | null;
  inputs: Record<string, unknown>;
}

export interface Plan {
  project: string;
  stack: string;
  resources: PlanResource[];
}

/** Runs index.ts under mocks with the stack's configuration (Pulumi.<stack>.yaml unless another file is named). */
export async function runProgram(stack: string, configFile?: string, projectDir = PROJECT_DIR): Promise<ProgramRun> {
  return runProgramUnderMocks({
    project: PROJECT,
    stack,
    config: loadStackConfig(configFile ?? path.join(projectDir, `Pulumi.${stack}.yaml`), PROJECT),
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    program: () => require(path.join(projectDir, "index.ts")),
  });
}

export function toPlan(run: ProgramRun): Plan {
  return {
    project: run.project,
    stack: run.stack,
    resources: run.resources.map((r: RecordedResource) => ({
      type: r.type,
      name: r.name,
      parent: r.parent,
      inputs: sortKeys(r.inputs) as Record<string, unknown>,
    })),
  };
}

export function planJson(plan: Plan): string {
  return `${JSON.stringify(sortKeys(plan), null, 2)}\n`;
}

/** One line per scalar input (`ports[0].external = 9090`); long text shows its first line and size. */
function flatten(value: unknown, prefix: string, lines: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, lines));
  } else if (value && typeof value === "object") {
    for (const key of Object.keys(value as object).sort()) {
      flatten((value as Record<string, unknown>)[key], prefix ? `${prefix}.${key}` : key, lines);
    }
  } else if (typeof value === "string" && value.includes("\n")) {
    const count = value.split("\n").length;
    lines.push(`${prefix} = ${JSON.stringify(value.split("\n")[0])}... (${count} lines)`);
  } else {
    lines.push(`${prefix} = ${JSON.stringify(value)}`);
  }
}

export function planText(plan: Plan): string {
  const children = new Map<string | null, PlanResource[]>();
  for (const r of plan.resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const out = [`${plan.project} / ${plan.stack}: ${plan.resources.length} resources`];
  const walk = (parent: string | null, indent: string) => {
    const list = children.get(parent) ?? [];
    list.forEach((r, i) => {
      const last = i === list.length - 1;
      out.push(`${indent}${last ? "└─ " : "├─ "}${r.name}  (${r.type})`);
      const inner = indent + (last ? "   " : "│  ");
      const lines: string[] = [];
      flatten(r.inputs, "", lines);
      for (const line of lines) out.push(`${inner}${children.has(r.name) ? "│ " : "  "} ${line}`);
      walk(r.name, inner);
    });
  };
  walk(null, "");
  return `${out.join("\n")}\n`;
}

async function main(argv: string[]): Promise<void> {
  const program = new Command("plan")
    .description("print the resources the Pulumi program declares for a stack, offline, under Pulumi's mocks")
    .option("--stack <name>", "stack whose Pulumi.<name>.yaml is used", process.env.PULUMI_STACK ?? "dev")
    .option("--config <file>", "stack configuration file to use instead of Pulumi.<stack>.yaml")
    .addOption(new Option("--format <format>", "output format").choices(["json", "text"]).default("json"))
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .parse(argv);
  const opts = program.opts<{ stack: string; config?: string; format: "json" | "text" }>();
  let plan: Plan;
  try {
    plan = toPlan(await runProgram(opts.stack, opts.config));
  } catch (err) {
    process.stderr.write(`plan: ${(err as Error).message}\n`);
    process.exit(2);
  }
  process.stdout.write(opts.format === "json" ? planJson(plan) : planText(plan));
}

if (require.main === module) {
  void main(process.argv);
}
