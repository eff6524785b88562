/**
 * The emulator's module layering (docs/emulator.md, Design): the stack uses only its public module, and
 * emulator/src has no import circle, type-only imports included (a circle of types is still two
 * modules that cannot be understood, or moved, one without the other).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { circles, importGraph, importsOf, sourceFiles } from "../support/import-graph";

const ROOT = path.resolve(__dirname, "../..");
const EMULATOR = path.join(ROOT, "emulator");
const PUBLIC_API = path.join(EMULATOR, "src", "index.ts");
/** The stack's own code; its tests may reach into the emulator's internals. */
const STACK = ["index.ts", "components", "config", "ops", "scripts"].map((p) => path.join(ROOT, p));

const relative = (file: string) => path.relative(ROOT, file);

function stackFiles(): string[] {
  return STACK.flatMap((p) => (fs.statSync(p).isDirectory() ? sourceFiles(p) : [p]));
}

describe("the stack and the emulator", () => {
  test("the stack imports the emulator only through emulator/src/index.ts", () => {
    const files = stackFiles();
    expect(files.length).toBeGreaterThan(20);
    const reaching = files.flatMap((file) =>
      importsOf(file)
        .filter((edge) => edge.specifier.startsWith("."))
        .filter((edge) => {
          const target = edge.to ?? path.resolve(path.dirname(file), edge.specifier);
          return target.startsWith(EMULATOR + path.sep) && target !== PUBLIC_API;
        })
        .map((edge) => `${relative(file)} imports ${edge.specifier}`),
    );
    expect(reaching).toEqual([]);
    // The stack does use it (so this test is not passing over nothing).
    expect(files.some((file) => importsOf(file).some((edge) => edge.to === PUBLIC_API))).toBe(true);
  });
});

describe("emulator/src", () => {
  const files = sourceFiles(path.join(EMULATOR, "src"));

  test("has no import circle, type-only imports included", () => {
    expect(files.length).toBeGreaterThan(50);
    const found = circles(importGraph(files, { types: true })).map((circle) => circle.map(relative));
    expect(found).toEqual([]);
  });

  /** Top-level folder (or file, without .ts) of an emulator source. */
  const area = (file: string) => path.relative(path.join(EMULATOR, "src"), file).split(path.sep)[0].replace(/\.ts$/, "");
  /** Imports from a file in one of `from` to a file in one of `to`, as `from -> to` lines. */
  const importsBetween = (from: readonly string[], to: readonly string[], keep = (_edge: { typeOnly: boolean }) => true) =>
    files.flatMap((file) =>
      from.includes(area(file))
        ? importsOf(file)
            .filter((edge) => edge.to !== undefined && to.includes(area(edge.to)) && keep(edge))
            .map((edge) => `${relative(file)} -> ${relative(edge.to!)}`)
        : [],
    );
  /** The scenario's model and types, the events, the generators, the exporter profiles, the log sources and the text format. */
  const BELOW_ENGINE = ["errors", "util", "model", "events", "generators", "profiles", "logs", "exposition"];
  /** The I/O edges: sinks, the HTTP endpoint, the commands and what only they use. */
  const IO = ["sinks", "http", "cli", "runner", "telemetry", "check", "backfill", "index"];

  test("is layered: types at the bottom, the engine above the generators and profiles, I/O on top", () => {
    // model/ holds types only: it links to the specs it names, and loads nothing.
    expect(importsBetween(["model"], ["model", ...BELOW_ENGINE, "scenario", "engine", ...IO], (edge) => !edge.typeOnly)).toEqual([]);
    // What the engine runs does not know the engine, nor the scenario file format and its compiler above it.
    expect(importsBetween(BELOW_ENGINE, ["engine", "scenario"])).toEqual([]);
    // The core has no I/O: the sinks, the HTTP endpoint and the commands use it, never the reverse.
    expect(importsBetween([...BELOW_ENGINE, "engine", "scenario"], IO)).toEqual([]);
    expect(importsBetween(["util", "errors"], files.map(area).filter((a) => a !== "util" && a !== "errors"))).toEqual([]);
  });

  test("the walker counts `import type` as an edge only when asked to, and finds the circles", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-import-graph-"));
    try {
      const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, name), text);
      write("a.ts", 'import type { B } from "./b";\nexport const a = 1;\nexport type A = B;\n');
      write("b.ts", 'import { a } from "./a";\nexport type B = number;\nexport const b = a;\n');
      write("c.ts", 'import { type B } from "./b";\nexport { a } from "./a";\nexport type C = B;\n');
      write("d.ts", 'const e = require("./e");\nexport const d = e;\n');
      write("e.ts", 'export async function e() { return import("./d"); }\n');
      const all = sourceFiles(dir);
      const name = (circle: string[]) => circle.map((file) => path.basename(file));
      expect(circles(importGraph(all, { types: true })).map(name)).toEqual([["a.ts", "b.ts"], ["d.ts", "e.ts"]]);
      expect(circles(importGraph(all, { types: false })).map(name)).toEqual([["d.ts", "e.ts"]]);
      expect(importsOf(path.join(dir, "c.ts")).map((edge) => [edge.specifier, edge.typeOnly])).toEqual([
        ["./b", true],
        ["./a", false],
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
