/**
 * A task run to its end during `up` (components/one-shot.ts): declared to be waited for and kept stopped, its
 * warnings shown, and its failure worded with its last lines of output. (That the failure stops the deployment is
 * seen with the real engine: under mocks, a rejected output ends the test process.)
 */
import * as pulumi from "@pulumi/pulumi";
import { oneShotContainer, oneShotOutcome, taskFailure, warningLines } from "../../components/one-shot";
import { CONTAINER, declareUnderMocks, named } from "../support/program";

describe("a one-shot task", () => {
  it("is a container waited for to its end, kept stopped with its output, restarted never, reaching no network by default", async () => {
    let outcome!: pulumi.Output<string>;
    const run = await declareUnderMocks(() => {
      const parent = new pulumi.ComponentResource("promemu:index:Task", "task");
      const container = oneShotContainer(parent, "task-run", { project: "promemu", stack: "test" }, {
        part: "task",
        component: "task",
        image: "sha256:abc",
        command: ["history", "write"],
        user: "65534:65534",
      });
      outcome = oneShotOutcome(container, "the task", "done");
      return { outcome };
    });
    expect(run.outputs.outcome).toBe("done");
    const task = named(run, "task-run");
    expect(task.type).toBe(CONTAINER);
    expect(task.inputs).toMatchObject({
      name: "promemu-test-task",
      attach: true,
      logs: true,
      mustRun: false,
      restart: "no",
      networkMode: "none",
      user: "65534:65534",
      labels: expect.arrayContaining([{ label: "io.promemu.component", value: "task" }]),
    });
    expect(task.deleteBeforeReplace).toBe(true);
  });

  it("fails with its exit code and its last 15 lines of output", () => {
    const logs = Array.from({ length: 20 }, (_, i) => `2026-01-01T00:00:00Z promemu: line ${i + 1}`).join("\n") + "\n";
    const failure = taskFailure("the task", 3, logs)!;
    expect(failure).toMatch(/^the task failed \(exit code 3\):\n.*line 6\n[^]*line 20$/);
    expect(failure).not.toMatch(/line 5\n/);
    expect(taskFailure("the task", 1, "")).toBe("the task failed (exit code 1):\n(it wrote nothing)");
  });

  it("is no failure when it ended well, or while its end is unknown (a preview)", () => {
    expect(taskFailure("the task", 0, "boom")).toBeUndefined();
    expect(taskFailure("the task", undefined, undefined)).toBeUndefined();
  });

  it("shows the lines it marks as warnings", () => {
    expect(warningLines("2026-01-01T00:00:00Z promemu: history written\n2026-01-01T00:00:01Z promemu: warning: kept the old one\nwarning: bare\n")).toEqual(["kept the old one", "bare"]);
    expect(warningLines(undefined)).toEqual([]);
  });
});
