/** Helpers for tests that run Pulumi code under mocks (scripts/mocked-program.ts) and inspect what it declared. */
import * as path from "path";
import { ProgramRun, RecordedResource, runProgramUnderMocks } from "../../scripts/mocked-program";

export const CONTAINER = "docker:index/container:Container";
export const VOLUME = "docker:index/volume:Volume";
export const NETWORK = "docker:index/network:Network";
export const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";

/** Declares resources with `declare` under mocks for project `promemu`, stack `test` (or the one given). */
export function declareUnderMocks(
  declare: () => Record<string, unknown> | void,
  options: { stack?: string; config?: Record<string, string>; secretKeys?: string[] } = {},
): Promise<ProgramRun> {
  return runProgramUnderMocks({
    project: "promemu",
    stack: options.stack ?? "test",
    config: { values: options.config ?? {}, secretKeys: options.secretKeys ?? [] },
    program: () => declare() ?? {},
  });
}

/**
 * The program itself (index.ts) under mocks, for project `promemu`, stack `probe`, with these `promemu:` config
 * values. In a module registry of its own: the program and the Pulumi runtime keep state per module load.
 * `onPulumi` sees the runtime before the program runs (e.g. to watch its log).
 */
export async function runIndexUnderMocks(
  values: Record<string, string>,
  secretKeys: string[] = [],
  onPulumi?: (pulumi: typeof import("@pulumi/pulumi")) => void,
): Promise<ProgramRun> {
  let run!: ProgramRun;
  await jest.isolateModulesAsync(async () => {
    onPulumi?.(await import("@pulumi/pulumi"));
    const { runProgramUnderMocks: runIsolated } = await import("../../scripts/mocked-program");
    run = await runIsolated({
      project: "promemu",
      stack: "probe",
      config: { values, secretKeys },
      program: () => require(path.resolve(__dirname, "../../index.ts")),
    });
  });
  return run;
}

/** A container's `envs` as a record. */
export function containerEnv(run: ProgramRun, name: string): Record<string, string> {
  return Object.fromEntries((named(run, name).inputs.envs as string[]).map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
}

export function ofType(run: ProgramRun, type: string): RecordedResource[] {
  return run.resources.filter((r) => r.type === type);
}

/** The one resource with this name; fails the test when there is none or several. */
export function named(run: ProgramRun, name: string): RecordedResource {
  const found = run.resources.filter((r) => r.name === name);
  if (found.length !== 1) throw new Error(`expected one resource named ${name}, found ${found.length}: ${run.resources.map((r) => r.name).join(", ")}`);
  return found[0];
}

/** The service arguments every component test starts from. */
export const serviceBase = {
  project: "promemu",
  stack: "test",
  network: "promemu-test",
  bindAddress: "127.0.0.1",
  keepData: true,
};

/** What every service container must have: the shared shape checked once, here, for each component test. */
export function expectServiceContainer(
  container: RecordedResource,
  expected: { service: string; containerName: string; hostPort: number; internalPort: number; healthPath: string; dataVolume?: string; dataPath?: string },
): void {
  const inputs = container.inputs as Record<string, any>;
  expect(container.type).toBe(CONTAINER);
  expect(inputs.name).toBe(expected.containerName);
  // The id Docker runs, as the provider's RemoteImage.imageId and a built Image's repoDigest give it; not the tag.
  expect(inputs.image).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(inputs.restart).toBe("unless-stopped");
  expect(inputs.networksAdvanced).toEqual([{ name: serviceBase.network, aliases: [expected.service] }]);
  expect(inputs.ports).toEqual([{ internal: expected.internalPort, external: expected.hostPort, ip: serviceBase.bindAddress, protocol: "tcp" }]);
  expect(inputs.labels).toEqual([
    { label: "io.promemu.project", value: "promemu" },
    { label: "io.promemu.stack", value: "test" },
    { label: "io.promemu.component", value: expected.service },
  ]);
  expect(inputs.healthcheck.tests).toEqual(["CMD", "wget", "-q", "--spider", `http://127.0.0.1:${expected.internalPort}${expected.healthPath}`]);
  // Durations spelled the way Go prints them, or the provider shows a diff forever.
  for (const key of ["interval", "timeout", "startPeriod"]) {
    expect(inputs.healthcheck[key]).toMatch(/^(\d+h)?(\d+m)?\d+(\.\d+)?(s|ms)$/);
  }
  // Docker engines below API 1.44 (20.10 speaks 1.41) refuse to create a container whose health check has one.
  expect(inputs.healthcheck.startInterval).toBeUndefined();
  expect(inputs.wait).toBe(true);
  expect(container.deleteBeforeReplace).toBe(true);
  expect(container.replaceOnChanges).toContain("healthcheck");
  if (expected.dataVolume) {
    expect(inputs.volumes).toEqual([{ volumeName: expected.dataVolume, containerPath: expected.dataPath }]);
  } else {
    expect(inputs.volumes).toBeUndefined();
  }
}

/** Content of the file a container receives through `uploads`. */
export function upload(container: RecordedResource, file: string): string {
  const uploads = (container.inputs.uploads ?? []) as { file: string; content: string }[];
  const found = uploads.find((u) => u.file === file);
  if (!found) throw new Error(`no upload ${file}; uploads: ${uploads.map((u) => u.file).join(", ")}`);
  return found.content;
}
