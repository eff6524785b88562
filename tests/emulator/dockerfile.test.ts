/**
 * No Docker engine here: the emulator's Dockerfile is checked for the structure the issue asks for,
 * and for copying only files that exist and that .dockerignore lets through.
 */
import * as fs from "fs";
import * as path from "path";
import { CONTAINER_PORTS, healthUrl } from "../../config/health";

const DIR = path.resolve(__dirname, "../../emulator");
const dockerfile = fs.readFileSync(path.join(DIR, "Dockerfile"), "utf8");
/** Instructions with continuation lines joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n\s*/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));
const stages = instructions.reduce<string[][]>((acc, line) => (line.startsWith("FROM ") ? [...acc, [line]] : (acc.length && acc[acc.length - 1].push(line), acc)), []);
const finalStage = stages[stages.length - 1];
const ignored = fs
  .readFileSync(path.join(DIR, ".dockerignore"), "utf8")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));

describe("emulator/Dockerfile", () => {
  it("is multi-stage on a Node 26 (LTS) Alpine image pinned to a full version", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const arg = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)![1];
    expect(arg).toMatch(/^node:26\.\d+\.\d+-alpine3\.\d+$/);
    for (const stage of stages) expect(stage[0]).toMatch(/^FROM \$\{NODE_IMAGE\}/);
  });

  it("builds in the first stage and installs production dependencies only in the last", () => {
    expect(stages[0]).toEqual(expect.arrayContaining(["RUN npm ci --no-audit --no-fund", "RUN npm run build"]));
    expect(finalStage.some((l) => /^RUN npm ci --omit=dev\b/.test(l))).toBe(true);
    expect(finalStage).toContain("COPY --from=build /app/dist ./dist");
    expect(finalStage.some((l) => /npm run build/.test(l))).toBe(false);
  });

  it("runs as the non-root node user, listens on 9464 and checks /healthz with busybox wget", () => {
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

  it("copies only files that exist and that .dockerignore does not exclude", () => {
    const sources = instructions
      .filter((l) => l.startsWith("COPY ") && !l.includes("--from="))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(sources).toEqual(expect.arrayContaining(["package.json", "package-lock.json", "tsconfig.json", "src", "bin", "scenarios"]));
    for (const source of sources) {
      expect(fs.existsSync(path.join(DIR, source))).toBe(true);
      expect(ignored).not.toContain(source);
    }
  });

  it(".dockerignore keeps the host's node_modules and dist out of the build context", () => {
    expect(ignored).toEqual(expect.arrayContaining(["node_modules", "dist"]));
  });
});
