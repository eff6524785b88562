#!/usr/bin/env node
// Launcher of the promemu CLI: the TypeScript sources are compiled to ../dist by `npm run build`.
"use strict";
const path = require("path");

let cli;
try {
  cli = require(path.join(__dirname, "..", "dist", "cli.js"));
} catch (err) {
  if (err && err.code === "MODULE_NOT_FOUND" && String(err.message).includes(path.join("dist", "cli.js"))) {
    process.stderr.write(
      "promemu: the emulator is not built yet. Run `npm run build` in the project root " +
        "(or `npm run build --prefix emulator`), then try again.\n",
    );
    process.exit(2);
  }
  throw err;
}

cli.main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`promemu: ${err && err.message ? err.message : err}\n`);
    process.exitCode = 1;
  },
);
