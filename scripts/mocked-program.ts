/**
 * Runs the Pulumi program under Pulumi's mocks, with no CLI, no engine and no Docker, and records every
 * resource it declares: type, name, parent, inputs, and the resource options the mocks themselves do not
 * pass on (dependsOn, deleteBeforeReplace, retainOnDelete, replaceOnChanges, ignoreChanges, additionalSecretOutputs). Used by `npm run plan` and
 * by the program's tests.
 */
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import * as fs from "fs";
import { parseStackFile, ProgramConfig, programConfig } from "../config/stack-file";
import * as path from "path";

export const SECRET_MASK = "[secret]";

export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  /** Name of the parent resource, null for a top-level one. */
  parent: string | null;
  custom: boolean;
  /** Inputs as the engine would receive them; secret values replaced by "[secret]". */
  inputs: Record<string, unknown>;
  /** The same inputs with secrets revealed, for tests that must look inside them. Never printed. */
  revealedInputs: Record<string, unknown>;
  /** Names of the resources this one waits for (explicit dependsOn and inputs taken from their outputs). */
  dependsOn: string[];
  deleteBeforeReplace: boolean;
  retainOnDelete: boolean;
  replaceOnChanges: string[];
  ignoreChanges: string[];
  additionalSecretOutputs: string[];
}

export interface ProgramRun {
  project: string;
  stack: string;
  resources: RecordedResource[];
  /** The program's stack outputs, secrets masked. */
  outputs: Record<string, unknown>;
}

/** Replaces the SDK's wrapped secret values ({<sig>: <secretSig>, value}), recursively. */
function replaceSecrets(value: unknown, replace: (secret: unknown) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => replaceSecrets(v, replace));
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return replace(replaceSecrets(record.value, replace));
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, replaceSecrets(v, replace)]));
  }
  return value;
}

export const maskSecrets = (value: unknown) => replaceSecrets(value, () => SECRET_MASK);

/** The time a mocked command that prints one prints. */
export const MOCK_TIME = "2026-01-01T00:00:00.000Z";

/** A deterministic `sha256:<64 hex>` for a mock, derived from what the real value depends on. */
const fakeDigest = (...parts: unknown[]) => createHash("sha256").update(JSON.stringify(parts)).digest("hex");

/**
 * The outputs a provider computes, in the shape the real provider gives them, so that what flows from one
 * resource into another reads in a plan as it will on a real engine: a container's `image` is an image id.
 */
function computedOutputs(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case "docker:index/remoteImage:RemoteImage": {
      // imageId is the local image's id, as `docker inspect` shows it; repoDigest `<repository>@sha256:<digest>`.
      const ref = String(inputs.name);
      const repository = ref.replace(/@sha256:.*$/, "").replace(/:[^:/]+$/, "");
      return { imageId: `sha256:${fakeDigest("image", ref)}`, repoDigest: `${repository}@sha256:${fakeDigest("manifest", ref)}` };
    }
    case "docker:index/image:Image":
      // Not pushed (skipPush): the provider sets repoDigest to the built image's id, and imageName to the input.
      return { imageName: inputs.imageName, repoDigest: `sha256:${fakeDigest("build", inputs.imageName, inputs.build)}` };
    case "command:local:Command":
      // What the command prints: a time (the history's start) for a command printing an ISO time, else a generated
      // password's 24 base64url characters.
      if (String(inputs.create).includes("toISOString")) return { stdout: MOCK_TIME, stderr: "" };
      return { stdout: createHash("sha256").update(name).digest("base64url").slice(0, 24), stderr: "" };
    case "docker:index/container:Container":
      // A container run to its end (attach): it ended well and wrote nothing.
      return inputs.attach ? { exitCode: 0, containerLogs: "" } : {};
    default:
      return {};
  }
}

export type StackConfig = ProgramConfig;

/**
 * Reads `Pulumi.<stack>.yaml` the way the Pulumi CLI presents it to a program. Encrypted (`secure:`) values
 * cannot be decrypted without the passphrase; they become stand-ins that pass validation, and stay secrets.
 */
export function loadStackConfig(file: string, project: string): StackConfig {
  if (!fs.existsSync(file)) {
    const stack = path.basename(file).replace(/^Pulumi\.|\.yaml$/g, "");
    throw new Error(`no stack configuration ${file}: create it with npm run stack:new -- ${stack}`);
  }
  return programConfig(parseStackFile(fs.readFileSync(file, "utf8"), path.basename(file), project), project);
}

/** Recursively sorts object keys so JSON output is byte-stable. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

const nameOfUrn = (urn: string) => urn.split("::").pop() ?? urn;

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getDeletebeforereplace(): boolean;
  getRetainondelete(): boolean;
  getReplaceonchangesList(): string[];
  getIgnorechangesList(): string[];
  getAdditionalsecretoutputsList(): string[];
}

/**
 * Runs `program` (which declares resources and returns the stack outputs) under mocks. One run per process
 * or per jest module registry: the Pulumi runtime keeps global state.
 */
export async function runProgramUnderMocks(options: {
  project: string;
  stack: string;
  config: StackConfig;
  program: () => Promise<Record<string, unknown>> | Record<string, unknown>;
  /** Outputs that replace the mocked provider's for some resources (e.g. a task that failed). */
  outputs?: (type: string, name: string, inputs: Record<string, unknown>) => Record<string, unknown> | undefined;
}): Promise<ProgramRun> {
  const records = new Map<string, RecordedResource>();
  await pulumi.runtime.setMocks(
    {
      newResource: (args: pulumi.runtime.MockResourceArgs) => {
        const inputs = args.inputs as Record<string, unknown>;
        const outputs = options.outputs?.(args.type, args.name, inputs) ?? computedOutputs(args.type, args.name, inputs);
        return { id: `${args.name}-id`, state: { ...inputs, ...outputs } };
      },
      call: () => ({}),
    },
    options.project,
    options.stack,
    false,
  );
  pulumi.runtime.setAllConfig(options.config.values, options.config.secretKeys);

  // The mock monitor drops resource options; wrap it to read them from the raw registration request.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings");
  const monitor = settings.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: RegisterRequest & { getObject(): unknown }, callback: (err: unknown, res: unknown) => void) =>
    register(req, (err: unknown, res: { getUrn(): string; getObject(): unknown } | undefined) => {
      if (!err && res) {
        const urn = res.getUrn();
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const rpc = require("@pulumi/pulumi/runtime/rpc");
        const inputs = rpc.deserializeProperties((req as unknown as { getObject(): unknown }).getObject());
        records.set(urn, {
          type: req.getType(),
          name: req.getName(),
          urn,
          parent: req.getParent() ? nameOfUrn(req.getParent()) : null,
          custom: req.getCustom(),
          inputs: maskSecrets(inputs) as Record<string, unknown>,
          revealedInputs: replaceSecrets(inputs, (secret) => secret) as Record<string, unknown>,
          dependsOn: [...new Set(req.getDependenciesList().map(nameOfUrn))].sort(),
          deleteBeforeReplace: req.getDeletebeforereplace(),
          retainOnDelete: req.getRetainondelete(),
          replaceOnChanges: [...req.getReplaceonchangesList()].sort(),
          ignoreChanges: [...req.getIgnorechangesList()].sort(),
          additionalSecretOutputs: [...req.getAdditionalsecretoutputsList()].sort(),
        });
      }
      callback(err, res);
    });

  const exported = await options.program();
  const outputs = await new Promise<unknown>((resolve) => pulumi.output(exported).apply(resolve));
  await settings.waitForRPCs();
  const resources = [...records.values()].sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type));
  return { project: options.project, stack: options.stack, resources, outputs: await maskOutputs(exported, outputs) };
}

/** Stack outputs with every secret output masked (the resolved value loses its secret flag, so ask the Output). */
async function maskOutputs(exported: Record<string, unknown>, resolved: unknown): Promise<Record<string, unknown>> {
  const values = resolved as Record<string, unknown>;
  const masked: Record<string, unknown> = {};
  for (const key of Object.keys(values)) {
    const original = exported[key];
    const secret = pulumi.Output.isInstance(original) && (await (original as unknown as { isSecret: Promise<boolean> }).isSecret);
    masked[key] = secret ? SECRET_MASK : values[key];
  }
  return masked;
}
