/** logs: docker logs of one service, or of all with a prefix per line, the flags passed through. */
import { prefixLines } from "../../ops/commands/logs";
import { runOps, stackOutputs, useSandbox } from "./support/harness";
import { PassThrough } from "stream";

const URLS = { pushgateway: "http://127.0.0.1:1", prometheus: "http://127.0.0.1:2", grafana: "http://127.0.0.1:3" };

describe("ops logs", () => {
  const sb = useSandbox();
  beforeEach(() => sb.fakes.on({ tool: "pulumi", args: ["stack", "output"], stdout: JSON.stringify(stackOutputs("dev", URLS)) }));

  test("one service: its container's logs, followed, stdout and stderr kept apart", async () => {
    sb.fakes.on({ tool: "docker", args: ["logs"], stdout: "level=info msg=ready\n", stderr: "level=warn msg=slow\n" });
    const run = await runOps(["logs", "prometheus", "--follow", "--tail", "50", "--stack", "dev"], sb);
    expect(run.code).toBe(0);
    expect(sb.fakes.commandLines("docker")).toEqual(["logs --follow --tail 50 promemu-dev-prometheus"]);
    expect(run.stdout).toBe("level=info msg=ready\n");
    expect(run.stderr).toBe("level=warn msg=slow\n");
  });

  test("every service, one after the other, each line behind its service name", async () => {
    sb.fakes.on(
      { tool: "docker", args: ["logs", "--since", "10m", "promemu-dev-grafana"], stdout: "logger=server msg=started\nsecond line" },
      { tool: "docker", args: ["logs"], stdout: "", stderr: "ts=1 msg=hello\n" },
    );
    const run = await runOps(["logs", "--since", "10m", "--stack", "dev"], sb);
    expect(run.code).toBe(0);
    expect(sb.fakes.commandLines("docker")).toEqual(
      ["pushgateway", "prometheus", "alertmanager", "grafana", "emulator"].map((s) => `logs --since 10m promemu-dev-${s}`),
    );
    expect(run.stdout.split("\n")).toEqual([
      "pushgateway  | ts=1 msg=hello",
      "prometheus   | ts=1 msg=hello",
      "alertmanager | ts=1 msg=hello",
      "grafana      | logger=server msg=started",
      "grafana      | second line",
      "emulator     | ts=1 msg=hello",
      "",
    ]);
  });

  test("an unknown service or a bad --tail is a usage error", async () => {
    const unknown = await runOps(["logs", "loki", "--stack", "dev"], sb);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("error: unknown service 'loki': stack dev runs pushgateway, prometheus, alertmanager, grafana, emulator\n");
    const tail = await runOps(["logs", "--tail", "lots", "--stack", "dev"], sb);
    expect(tail.code).toBe(2);
    expect(sb.fakes.commandLines("docker")).toEqual([]);
  });

  test("prefixLines keeps partial lines until they are complete", async () => {
    const target = new PassThrough();
    let text = "";
    target.on("data", (c: Buffer) => (text += c.toString()));
    const sink = prefixLines("x | ", target);
    sink.write("ab");
    sink.write("c\nde");
    await new Promise<void>((resolve) => sink.end(resolve));
    expect(text).toBe("x | abc\nx | de\n");
  });
});
