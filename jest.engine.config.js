/**
 * The suites that need a real Docker engine (`npm run test:engine`): tests/engine/ (the stack through the
 * Pulumi CLI) and tests/local-images/ (the local stand-in images). They build images and start
 * containers, so they run one file at a time with generous limits; `npm test` leaves them out.
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests/engine", "<rootDir>/tests/local-images"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
  testTimeout: 900000,
  maxWorkers: 1,
  verbose: true,
};
