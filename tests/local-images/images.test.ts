/**
 * The local stand-in images (scripts/local-images/build.sh) on a real Docker engine, run the way the
 * stack runs them: each server with its component's command and a data volume at its data path, on a
 * user network where they reach each other by alias, with a port published on 127.0.0.1, checked by
 * the stack's own health check. The emulator image is built offline (`--network none`, classic
 * builder) on the local Node base and must become healthy through its HEALTHCHECK.
 *
 * Needs a Docker daemon: the one DOCKER_HOST (or the default socket) reaches, else the private one of
 * scripts/local-images/dockerd.sh. Without one the suite is skipped with a notice; under CI=true that
 * is a failure. Run with `npm run test:engine` (jest.engine.config.js), not part of `npm test`.
 * build.sh runs first: it is idempotent (seconds when the images are current).
 */
import { spawn, spawnSync } from "child_process";
import * as path from "path";
import { CONTAINER_PORTS, healthUrl } from "../../config/health";
import { LOG_STORE_IMAGES, settingsFromConfig } from "../../config/settings";
import { docker as dockerWith, runCommand, startDaemon, stopDaemon } from "../engine/harness";

const ROOT = path.resolve(__dirname, "../..");
const SCRIPTS = path.join(ROOT, "scripts/local-images");

/** The daemon's environment, set by beforeAll (the daemon that answers, or a private one this suite starts and stops). */
let ENV: NodeJS.ProcessEnv = process.env;
let startedDaemon = false;

function describeWithDocker(): jest.Describe {
  if (spawnSync("which", ["docker"]).status === 0) return describe;
  const notice = "the docker command is not installed (apt-get install docker.io)";
  if (process.env.CI === "true") throw new Error(`${notice}; under CI=true a skipped engine test is a failure`);
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED: ${notice}`);
  return describe.skip;
}

const run = (command: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) =>
  runCommand(command, args, { env: opts.env ?? ENV, timeoutMs: opts.timeoutMs ?? 120_000 });

/** docker with the daemon's environment; throws with the output on a non-zero exit. */
const docker = (args: string[]): Promise<string> => dockerWith(ENV, args);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitHealthy(container: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let state = "";
  while (Date.now() < deadline) {
    state = await docker(["inspect", "--format", "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}", container]);
    if (state === "running healthy") return;
    if (!state.startsWith("running")) break;
    await sleep(500);
  }
  const logs = await run("docker", ["logs", "--tail", "30", container]);
  throw new Error(`${container} is "${state}", not healthy:\n${logs.output}`);
}

/** What the components run (components/*.ts), with the stack's health check (config/health.ts). */
const SERVERS = {
  pushgateway: {
    key: "PROMEMU_IMAGE_PUSHGATEWAY",
    dataPath: "/pushgateway",
    command: ["--web.listen-address=:9091", "--persistence.file=/pushgateway/pushgateway.db", "--persistence.interval=5m"],
  },
  alertmanager: {
    key: "PROMEMU_IMAGE_ALERTMANAGER",
    dataPath: "/alertmanager",
    command: ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager", "--web.external-url=http://127.0.0.1:9093", "--cluster.listen-address="],
  },
  prometheus: {
    key: "PROMEMU_IMAGE_PROMETHEUS",
    dataPath: "/prometheus",
    command: [
      "--config.file=/etc/prometheus/prometheus.yml",
      "--storage.tsdb.path=/prometheus",
      "--storage.tsdb.retention.time=7d",
      "--storage.tsdb.retention.size=10GB",
      "--web.enable-lifecycle",
      "--web.enable-admin-api",
      "--web.external-url=http://127.0.0.1:9090",
    ],
  },
} as const;
type Server = keyof typeof SERVERS;
const SERVER_NAMES = Object.keys(SERVERS) as Server[];

/** Prometheus scrapes the other two by their aliases, as the stack's prometheus.yml does. */
const PROMETHEUS_YML = `global:
  scrape_interval: 1s
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["alertmanager:9093"]
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["localhost:9090"]
  - job_name: pushgateway
    honor_labels: true
    static_configs:
      - targets: ["pushgateway:9091"]
  - job_name: alertmanager
    static_configs:
      - targets: ["alertmanager:9093"]
`;

const PREFIX = `promemu-imgtest-${process.pid}`;

describeWithDocker()("local images on a real Docker engine", () => {
  const images: Record<string, string> = {};
  const containers: string[] = [];
  const volumes: string[] = [];
  const network = `${PREFIX}-net`;
  let emulatorImage = "";
  let danglingBefore = new Set<string>();

  beforeAll(async () => {
    const daemon = await startDaemon();
    if (!daemon.ready) throw new Error(daemon.reason);
    ENV = daemon.env;
    startedDaemon = daemon.startedDaemon;
    const built = await run("bash", [path.join(SCRIPTS, "build.sh")], { timeoutMs: 900_000 });
    if (built.code !== 0) throw new Error(`scripts/local-images/build.sh failed:\n${built.output.slice(-4000)}`);
    for (const line of built.stdout.split("\n")) {
      const m = /^(PROMEMU_IMAGE_[A-Z]+)=(\S+)$/.exec(line.trim());
      if (m) images[m[1]] = m[2];
    }
    await docker(["network", "create", network]);
  }, 900_000);

  afterAll(async () => {
    if (containers.length) await run("docker", ["rm", "-f", "-v", ...containers]);
    if (volumes.length) await run("docker", ["volume", "rm", "-f", ...volumes]);
    await run("docker", ["network", "rm", network]);
    if (emulatorImage) {
      await run("docker", ["image", "rm", emulatorImage]);
      // The build stage's images are no parents of the final image: remove the ones this build left (vfs keeps full copies).
      const dangling = (await run("docker", ["image", "ls", "-q", "--no-trunc", "--filter", "dangling=true"])).stdout.split("\n").filter(Boolean);
      const ours = dangling.filter((id) => !danglingBefore.has(id));
      if (ours.length) await run("docker", ["image", "rm", ...ours]);
    }
    if (startedDaemon) await stopDaemon(ENV);
  }, 180_000);

  it("build.sh names every image as KEY=ref: the servers tagged with the stack's pins, the Node base with its version", () => {
    expect(Object.keys(images).sort()).toEqual([
      "PROMEMU_IMAGE_ALERTMANAGER",
      "PROMEMU_IMAGE_NODE",
      "PROMEMU_IMAGE_PROMETHEUS",
      "PROMEMU_IMAGE_PUSHGATEWAY",
      "PROMEMU_IMAGE_VICTORIALOGS",
    ]);
    const pinned = settingsFromConfig({}, "dev");
    const tag = (ref: string) => ref.slice(ref.lastIndexOf(":") + 1);
    expect(images.PROMEMU_IMAGE_PROMETHEUS).toBe(`promemu-local/prometheus:${tag(pinned.prometheus.image)}`);
    expect(images.PROMEMU_IMAGE_ALERTMANAGER).toBe(`promemu-local/alertmanager:${tag(pinned.alertmanager.image)}`);
    expect(images.PROMEMU_IMAGE_PUSHGATEWAY).toBe(`promemu-local/pushgateway:${tag(pinned.pushgateway.image)}`);
    expect(images.PROMEMU_IMAGE_VICTORIALOGS).toBe(`promemu-local/victoria-logs:${tag(LOG_STORE_IMAGES.victorialogs)}`);
    expect(images.PROMEMU_IMAGE_NODE).toMatch(/^promemu-local\/node:\d+\.\d+\.\d+-debian\d+$/);
  });

  it.each([
    ["prometheus", "PROMEMU_IMAGE_PROMETHEUS", "prometheus"],
    ["promtool", "PROMEMU_IMAGE_PROMETHEUS", "prometheus"],
    ["alertmanager", "PROMEMU_IMAGE_ALERTMANAGER", "alertmanager"],
    ["amtool", "PROMEMU_IMAGE_ALERTMANAGER", "alertmanager"],
    ["pushgateway", "PROMEMU_IMAGE_PUSHGATEWAY", "pushgateway"],
  ] as const)("%s in its image is the version the stack pins", async (program, key, service) => {
    const pinned = settingsFromConfig({}, "dev")[service].image;
    const version = pinned.slice(pinned.lastIndexOf(":v") + 2);
    const out = await docker(["run", "--rm", "--network", "none", "--entrypoint", `/bin/${program}`, images[key], "--version"]);
    expect(out.split("\n")[0]).toMatch(new RegExp(`^${program}, version ${version.replace(/\./g, "\\.")} `));
  });

  it("a second build.sh keeps every current image", async () => {
    const again = await run("bash", [path.join(SCRIPTS, "build.sh")], { timeoutMs: 300_000 });
    expect(again.code).toBe(0);
    expect(again.output).not.toMatch(/building /);
    expect(again.output.match(/is up to date/g)?.length).toBe(Object.keys(images).length);
  }, 300_000);

  it.each(SERVER_NAMES)("%s runs as nobody (65534) from its upstream-style entry point", async (server) => {
    const config = JSON.parse(await docker(["image", "inspect", "--format", "{{json .Config}}", images[SERVERS[server].key]]));
    expect(config.Entrypoint).toEqual([`/bin/${server}`]);
    expect(config.WorkingDir).toBe(SERVERS[server].dataPath);
    expect(config.ExposedPorts).toHaveProperty(`${CONTAINER_PORTS[server]}/tcp`);
    const id = await docker(["run", "--rm", "--network", "none", "--entrypoint", "id", images[SERVERS[server].key]]);
    expect(id).toMatch(/^uid=65534\(nobody\) gid=65534\(nobody\)/);
  });

  it("the servers start with the components' commands, become healthy, and write to their data volumes", async () => {
    for (const server of SERVER_NAMES) {
      const spec = SERVERS[server];
      const name = `${PREFIX}-${server}`;
      const volume = `${name}-data`;
      volumes.push(volume);
      await docker(["volume", "create", volume]);
      const port = CONTAINER_PORTS[server];
      await docker([
        "create",
        "--name", name,
        "--hostname", server,
        "--network", network,
        "--network-alias", server,
        "-p", `127.0.0.1::${port}`,
        "-v", `${volume}:${spec.dataPath}`,
        "--health-cmd", `wget -q --spider ${healthUrl(server)}`,
        "--health-interval", "1s",
        "--health-retries", "30",
        images[spec.key],
        ...spec.command,
      ]);
      containers.push(name);
    }
    // prometheus.yml goes in as the provider's uploads do: a tar unpacked at / before the start (root's file, readable by nobody).
    await new Promise<void>((resolve, reject) => {
      const child = spawn("sh", ["-c", `d=$(mktemp -d) && mkdir -p $d/etc/prometheus && cat > $d/etc/prometheus/prometheus.yml && tar -C $d -cf - . | docker cp - ${PREFIX}-prometheus:/ ; s=$?; rm -rf $d; exit $s`], { env: ENV, stdio: ["pipe", "ignore", "inherit"] });
      child.stdin.end(PROMETHEUS_YML);
      child.once("error", reject);
      child.once("close", (code) => (code === 0 ? resolve() : reject(new Error(`upload of prometheus.yml failed (${code})`))));
    });
    for (const server of SERVER_NAMES) await docker(["start", `${PREFIX}-${server}`]);
    for (const server of SERVER_NAMES) await waitHealthy(`${PREFIX}-${server}`, 60_000);
    for (const server of SERVER_NAMES) {
      const dataPath = SERVERS[server].dataPath;
      const probe = await docker(["exec", `${PREFIX}-${server}`, "sh", "-c", `id -u && touch ${dataPath}/.probe && rm ${dataPath}/.probe && echo writable`]);
      expect(probe.split("\n")).toEqual(["65534", "writable"]);
    }
    // Prometheus has its TSDB on the volume.
    expect(await docker(["exec", `${PREFIX}-prometheus`, "ls", "/prometheus"])).toMatch(/\bwal\b/);
  }, 180_000);

  it("reach each other by alias on the user network, and from the host through the published port", async () => {
    for (const target of ["pushgateway", "alertmanager"] as const) {
      await docker(["exec", `${PREFIX}-prometheus`, "wget", "-q", "--spider", healthUrl(target, target)]);
    }
    const published = await docker(["port", `${PREFIX}-prometheus`, `${CONTAINER_PORTS.prometheus}/tcp`]);
    const hostPort = /127\.0\.0\.1:(\d+)/.exec(published)![1];
    // Every target up: Prometheus scrapes the others by alias (scrape interval 1 s).
    const deadline = Date.now() + 60_000;
    let health: Record<string, string> = {};
    while (Date.now() < deadline) {
      const response = await fetch(`http://127.0.0.1:${hostPort}/api/v1/targets`);
      const body = (await response.json()) as { data: { activeTargets: { labels: { job: string }; health: string }[] } };
      health = Object.fromEntries(body.data.activeTargets.map((t) => [t.labels.job, t.health]));
      if (Object.values(health).length === 3 && Object.values(health).every((h) => h === "up")) break;
      await sleep(1000);
    }
    expect(health).toEqual({ prometheus: "up", pushgateway: "up", alertmanager: "up" });
    const alertmanagers = await (await fetch(`http://127.0.0.1:${hostPort}/api/v1/alertmanagers`)).json();
    expect(JSON.stringify(alertmanagers)).toContain("http://alertmanager:9093/api/v2/alerts");
  }, 120_000);

  it("the Pushgateway keeps pushed groups in its persistence file on the volume across a restart", async () => {
    const name = `${PREFIX}-pushgateway`;
    await docker(["exec", name, "sh", "-c", "printf 'imgtest_metric 7\\n' > /tmp/body && wget -q -O- --post-file=/tmp/body http://127.0.0.1:9091/metrics/job/imgtest"]);
    await docker(["restart", name]);
    await waitHealthy(name, 60_000);
    expect(await docker(["exec", name, "ls", "-l", "/pushgateway"])).toMatch(/pushgateway\.db/);
    const metrics = await docker(["exec", name, "wget", "-q", "-O-", "http://127.0.0.1:9091/metrics"]);
    expect(metrics).toMatch(/^imgtest_metric\{[^}]*job="imgtest"[^}]*\} 7$/m);
  }, 120_000);

  it("the Node base runs node and npm as the node user (uid 1000), with busybox wget", async () => {
    const ref = images.PROMEMU_IMAGE_NODE;
    const version = /:(\d+\.\d+\.\d+)-/.exec(ref)![1];
    const out = await docker(["run", "--rm", "--network", "none", "--user", "node", ref, "sh", "-c", "id -u; node --version; npm --version; command -v wget; echo $HOME"]);
    const [uid, node, npm, wget, home] = out.split("\n");
    expect(uid).toBe("1000");
    expect(node).toBe(`v${version}`);
    expect(npm).toMatch(/^\d+\.\d+\.\d+$/);
    expect(wget).toMatch(/wget$/);
    expect(home).toBe("/home/node");
    // The upstream entry point: flags go to node.
    expect(await docker(["run", "--rm", "--network", "none", ref, "-p", "6*7"])).toBe("42");
  }, 120_000);

  it("the emulator image builds offline on the Node base with the classic builder and becomes healthy", async () => {
    danglingBefore = new Set((await docker(["image", "ls", "-q", "--no-trunc", "--filter", "dangling=true"])).split("\n").filter(Boolean));
    emulatorImage = `${PREFIX}-emulator:local`;
    const build = await run(
      "docker",
      ["build", "--network", "none", "--build-arg", `NODE_IMAGE=${images.PROMEMU_IMAGE_NODE}`, "--build-arg", `PROMETHEUS_IMAGE=${images.PROMEMU_IMAGE_PROMETHEUS}`, "-t", emulatorImage, "emulator"],
      { env: { ...ENV, DOCKER_BUILDKIT: "0" }, timeoutMs: 900_000 },
    );
    if (build.code !== 0) throw new Error(`docker build of emulator/ failed:\n${build.output.slice(-4000)}`);
    const name = `${PREFIX}-emulator`;
    // The image's own HEALTHCHECK command, checked every second instead of every 30 s.
    await docker([
      "run", "-d", "--name", name, "--network", network, "--network-alias", "emulator",
      "--health-interval", "1s",
      "-e", "PROMEMU_PUSHGATEWAY_URL=http://pushgateway:9091", "-e", "PROMEMU_PUSH_INTERVAL=1s",
      emulatorImage,
    ]);
    containers.push(name);
    await waitHealthy(name, 90_000);
    expect(await docker(["exec", name, "id", "-u"])).toBe("1000");
    // promtool from the Prometheus image runs on this base (backfill --format blocks, history).
    expect(await docker(["exec", name, "promtool", "--version"])).toMatch(/^promtool, version \d/);
    const health = JSON.parse(await docker(["inspect", "--format", "{{json .Config.Healthcheck}}", name]));
    expect(health.Test.join(" ")).toContain(`wget -q --spider ${healthUrl("emulator")}`);
    // It pushes to the Pushgateway by alias.
    const deadline = Date.now() + 60_000;
    let groups = "";
    while (Date.now() < deadline) {
      groups = await docker(["exec", `${PREFIX}-pushgateway`, "wget", "-q", "-O-", "http://127.0.0.1:9091/api/v1/metrics"]);
      if (groups.includes('"job":"promemu"')) break;
      await sleep(1000);
    }
    expect(groups).toContain('"job":"promemu"');
  }, 900_000);
});
