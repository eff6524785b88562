/**
 * The emulator's public API: everything code outside emulator/ (the Pulumi stack: config/, components/,
 * ops/, scripts/, index.ts) may use. The stack depends on what these promise, not on where they live in
 * emulator/src, which may be reorganised freely behind this module (tests/emulator/import-graph.test.ts
 * refuses any other import of emulator/src from the stack). The stack imports this TypeScript file by
 * its relative path (../emulator/src/index), compiled by ts-node and ts-jest like its own sources, so it
 * needs no build of the emulator first; the built package serves the same module as its main entry.
 * Each answers exactly as the `promemu` command would for the same input.
 */

/**
 * The series limit the emulator refuses a scenario above (`--max-series`): its default, its largest
 * value, and the message naming the scenario's size, estimated memory and `override` (the option or
 * configuration key that raises the limit), or undefined when the size fits.
 */
export { DEFAULT_MAX_SERIES, MAX_SERIES_LIMIT, type ScenarioSize, capacityProblem } from "./scenario/capacity";

/**
 * A scenario (a built-in name or a YAML file) with its `--set` overrides: its hosts and series with every
 * host up, validated but not built (scenarioSize); the exporter profiles its hosts serve
 * (scenarioExporterProfiles); the log sources its hosts write (scenarioLogSources). All three throw an
 * Error named `UsageError` with the emulator's own message for a scenario it would refuse (unknown,
 * unreadable, invalid, or an override it does not take).
 */
export { scenarioExporterProfiles, scenarioLogSources, scenarioSize } from "./scenario/loader";

/**
 * Durations as the emulator's options take them (`15s`, `1h30m`, `14.5s`; `0`): milliseconds, or
 * undefined for text that is not one; and the longest interval a timer of the emulator accepts (a day).
 */
export { MAX_TIMER_MS, parseDuration } from "./util/duration";

/**
 * Remote-write headers as `--remote-write-header NAME=VALUE` (or PROMEMU_REMOTE_WRITE_HEADERS) takes them: the
 * headers, or the problems the emulator would refuse them with, each naming `name`.
 */
export { parseRemoteWriteHeaders } from "./cli/remote-write-headers";

/** The owner mark the emulator puts on its Pushgateway groups as shard k of n (`--owner`, `--shard k/n`). */
export { shardOwner } from "./sinks/grouping";

/** The absolute path of a program on a PATH-like list of directories, as the emulator finds promtool. */
export { findOnPath } from "./util/programs";

/** YAML as the emulator reads it: js-yaml, refusing a document that expands past a bound through aliases. */
export { loadYaml } from "./util/yaml";

/** What a file-system error code means for whoever must fix it (`FS_REASONS`), and as `reason (CODE)` for an error. */
export { FS_REASONS, fsReason } from "./util/files";
