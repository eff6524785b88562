/** Jest runs every suite under tests/ except the engine ones, TypeScript through ts-jest (type errors fail the suite). */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  // Suites that need a real Docker engine run with `npm run test:engine` (jest.engine.config.js).
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/tests/engine/", "<rootDir>/tests/local-images/"],
  // Builds (when needed) the pinned Prometheus, Alertmanager and Pushgateway and puts them first on PATH.
  globalSetup: "<rootDir>/tests/support/global-setup.ts",
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
  testTimeout: 60000,
  verbose: false,
};
