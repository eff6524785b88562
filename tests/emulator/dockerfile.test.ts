/**
 * The emulator's Dockerfile, checked for the structure the issues ask for without a Docker engine: a
 * build that fetches nothing (it must work with `--network none` and the classic builder, from a
 * locally present base image), the host's node_modules as the only source of dependencies, and only
 * files that exist and that .dockerignore lets through. tests/local-images/ builds it on a real engine.
 */
import * as fs from "fs";
import * as path from "path";
import { PROMETHEUS_DATA_PATH, PROMETHEUS_USER } from "../../components/prometheus";
import { CONTAINER_PORTS, HEALTH_TIMING, healthUrl } from "../../config/health";
import { SettingsSchema } from "../../config/settings";

const ROOT = path.resolve(__dirname, "../..");
const DIR = path.join(ROOT, "emulator");
const dockerfile = fs.readFileSync(path.join(DIR, "Dockerfile"), "utf8");
/** Instructions with continuation lines joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n\s*/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));
const stages = instructions.reduce<string[][]>((acc, line) => (line.startsWith("FROM ") ? [...acc, [line]] : (acc.length && acc[acc.length - 1].push(line), acc)), []);
const buildStage = stages.find((stage) => / AS build$/.test(stage[0]))!;
const finalStage = stages[stages.length - 1];
const runLines = instructions.filter((l) => l.startsWith("RUN "));
const ignored = fs
  .readFileSync(path.join(DIR, ".dockerignore"), "utf8")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));

/** Commands that download something: none may run while the image builds. */
const FETCHING = [
  /\bnpm (ci|install|i|add|update|exec)\b/,
  /\bnpx\b/,
  /\b(yarn|pnpm|corepack)\b/,
  /\bapk (add|update|upgrade)\b/,
  /\bapt(-get)? /,
  /\bcurl\b/,
  /\bwget\b/,
  /\bgit (clone|fetch|pull)\b/,
  /https?:\/\//,
];

describe("emulator/Dockerfile", () => {
  it("has no `# syntax=` line, which would make BuildKit fetch a frontend image from a registry", () => {
    expect(dockerfile).not.toMatch(/^\s*#\s*syntax\s*=/im);
  });

  it("builds from a base image given as the build argument NODE_IMAGE, by default Node 26 (LTS) Alpine pinned to a full version", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const arg = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)![1];
    expect(arg).toMatch(/^node:26\.\d+\.\d+-alpine3\.\d+$/);
    // The ARG comes before the first FROM, so that every FROM can use it.
    expect(instructions.findIndex((l) => l.startsWith("ARG NODE_IMAGE="))).toBeLessThan(instructions.findIndex((l) => l.startsWith("FROM ")));
    const nodeStages = stages.filter((stage) => !/ AS promtool$/.test(stage[0]));
    expect(nodeStages.length).toBeGreaterThanOrEqual(2);
    for (const stage of nodeStages) expect(stage[0]).toMatch(/^FROM \$\{NODE_IMAGE\}/);
  });

  it("takes promtool from the Prometheus image given as PROMETHEUS_IMAGE (pinned, by default the stack's), into the final image", () => {
    const arg = /^ARG PROMETHEUS_IMAGE=(\S+)$/m.exec(dockerfile)![1];
    expect(arg).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(arg).toBe(SettingsSchema.parse({}).prometheus.image);
    expect(instructions.findIndex((l) => l.startsWith("ARG PROMETHEUS_IMAGE="))).toBeLessThan(instructions.findIndex((l) => l.startsWith("FROM ")));
    expect(instructions).toContain("FROM ${PROMETHEUS_IMAGE} AS promtool");
    expect(finalStage).toContain("COPY --from=promtool /bin/promtool /usr/local/bin/promtool");
  });

  it("has a /prometheus folder of Prometheus' user, so that a fresh data volume mounted there by the history step is that user's", () => {
    expect(buildStage).toContain("RUN mkdir /app/prometheus-data");
    expect(finalStage).toContain(`COPY --from=build --chown=${PROMETHEUS_USER} /app/prometheus-data ${PROMETHEUS_DATA_PATH}`);
  });

  it("fetches nothing while it builds: no RUN line installs or downloads", () => {
    expect(runLines.length).toBeGreaterThan(0);
    for (const line of runLines) {
      for (const pattern of FETCHING) expect({ line, fetches: pattern.test(line) }).toEqual({ line, fetches: false });
    }
    expect(instructions.some((l) => /^ADD\s+https?:/.test(l))).toBe(false);
    // npm in the build stage is told to stay off the registry (no update check either).
    const env = buildStage.filter((l) => l.startsWith("ENV ")).join(" ");
    expect(env).toMatch(/NPM_CONFIG_OFFLINE=true/);
    expect(env).toMatch(/NPM_CONFIG_UPDATE_NOTIFIER=false/);
  });

  it("compiles in the build stage from the host's node_modules, then keeps the production dependencies only", () => {
    expect(buildStage).toContain("COPY node_modules ./node_modules");
    expect(buildStage).toContain("RUN npm run build");
    const prune = buildStage.find((l) => /^RUN npm prune\b/.test(l));
    expect(prune).toMatch(/--omit=dev/);
    expect(prune).toMatch(/--offline/);
    // The build runs before the prune removes TypeScript.
    expect(buildStage.indexOf("RUN npm run build")).toBeLessThan(buildStage.indexOf(prune!));
    // A node_modules that does not match package.json stops the build early.
    expect(buildStage.some((l) => /^RUN npm ls\b/.test(l))).toBe(true);
  });

  it("ships the compiled program, the pruned dependencies, the launcher and the scenarios, and builds nothing in the last stage", () => {
    expect(finalStage).toContain("COPY --from=build /app/dist ./dist");
    expect(finalStage).toContain("COPY --from=build /app/node_modules ./node_modules");
    expect(finalStage.some((l) => /^COPY package\.json package-lock\.json \.\/$/.test(l))).toBe(true);
    expect(finalStage).toContain("COPY bin ./bin");
    expect(finalStage).toContain("COPY scenarios ./scenarios");
    expect(finalStage.some((l) => l.startsWith("RUN "))).toBe(false);
    expect(finalStage.some((l) => /^COPY (node_modules|src|dist)\b/.test(l))).toBe(false);
    expect(finalStage.some((l) => l.startsWith("ENV ") && l.includes("NODE_ENV=production"))).toBe(true);
  });

  it("runs as the non-root node user in /app, listens on 9464 and checks /healthz with busybox wget", () => {
    expect(finalStage).toContain("WORKDIR /app");
    expect(finalStage).toContain("USER node");
    expect(finalStage).toContain(`EXPOSE ${CONTAINER_PORTS.emulator}`);
    expect(finalStage.some((l) => l.startsWith("ENV ") && l.includes(`PROMEMU_LISTEN=:${CONTAINER_PORTS.emulator}`))).toBe(true);
    const healthcheck = finalStage.find((l) => l.startsWith("HEALTHCHECK "))!;
    expect(healthcheck).toContain(`CMD wget -q --spider ${healthUrl("emulator")}`);
    expect(finalStage).toContain('ENTRYPOINT ["node", "/app/bin/promemu.js"]');
    expect(finalStage).toContain('CMD ["run"]');
    // USER comes before the entry point, so nothing runs as root at run time.
    expect(finalStage.indexOf("USER node")).toBeLessThan(finalStage.findIndex((l) => l.startsWith("ENTRYPOINT")));
  });

  it("keeps the health check to options Docker 20.10 (engine API 1.41) accepts", () => {
    const healthcheck = finalStage.find((l) => l.startsWith("HEALTHCHECK "))!;
    const options = [...healthcheck.matchAll(/--([a-z-]+)=/g)].map((m) => m[1]);
    expect(options.sort()).toEqual(["interval", "retries", "start-period", "timeout"]);
  });

  it("uses the stack's health timing (config/health.ts), so the image alone turns healthy as fast as in the stack", () => {
    const healthcheck = finalStage.find((l) => l.startsWith("HEALTHCHECK "))!;
    const option = (name: string) => new RegExp(`--${name}=(\\S+)`).exec(healthcheck)?.[1];
    const seconds = (text: string | undefined) => Number(/^(\d+)s$/.exec(text ?? "")?.[1]) * 1000;
    expect(seconds(option("interval"))).toBe(HEALTH_TIMING.intervalMs);
    expect(seconds(option("timeout"))).toBe(HEALTH_TIMING.timeoutMs);
    expect(seconds(option("start-period"))).toBe(HEALTH_TIMING.startPeriodMs);
    expect(Number(option("retries"))).toBe(HEALTH_TIMING.retries);
  });

  it("copies only files that exist (node_modules: made by the root `npm ci`) and that .dockerignore does not exclude", () => {
    const sources = instructions
      .filter((l) => l.startsWith("COPY ") && !l.includes("--from="))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(sources).toEqual(expect.arrayContaining(["package.json", "package-lock.json", "tsconfig.json", "node_modules", "src", "bin", "scenarios"]));
    for (const source of sources) {
      expect(ignored).not.toContain(source);
      if (source !== "node_modules") expect({ source, exists: fs.existsSync(path.join(DIR, source)) }).toEqual({ source, exists: true });
    }
    // The root `npm ci` installs the emulator's dependencies, dev ones included (TypeScript builds the image).
    const rootPackage = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(rootPackage.scripts.postinstall).toMatch(/npm ci --prefix emulator\b/);
    expect(rootPackage.scripts.postinstall).not.toMatch(/--omit=dev|--production/);
  });

  it("relies on dependencies that are pure JavaScript, so the host's node_modules runs on any base image", () => {
    const lock = JSON.parse(fs.readFileSync(path.join(DIR, "package-lock.json"), "utf8"));
    const packages = Object.entries<Record<string, unknown>>(lock.packages).filter(([name]) => name !== "");
    expect(packages.length).toBeGreaterThan(0);
    const native = packages.filter(([, p]) => p.hasInstallScript || p.os || p.cpu).map(([name]) => name);
    expect(native).toEqual([]);
  });

  it(".dockerignore lets node_modules in and keeps the host's dist, logs and benchmarks out", () => {
    expect(ignored).not.toContain("node_modules");
    expect(ignored).toEqual(expect.arrayContaining(["dist", "bench", "*.log"]));
  });
});
