/**
 * `--set` values and PROMEMU_SET. `--set a=1 --set b=2` and `--set a=1,b=2` (and `PROMEMU_SET=a=1,b=2`)
 * as before; a JSON object (`{"hosts.count": 50, "site": "a,b=c"}`) carries any value exactly,
 * commas and `=` included. The stack sets PROMEMU_SET as JSON (config/emulator.ts).
 */
import { UsageError } from "../errors";
import type { SetEntry } from "../scenario/params";

/** commander's argument parser of --set: each value adds to the ones before. */
export function collectSet(value: string, previous: SetEntry[] = []): SetEntry[] {
  return [...previous, ...parseSetValue(value)];
}

export function parseSetValue(value: string): SetEntry[] {
  if (!value.trimStart().startsWith("{")) {
    return value
      .split(",")
      .map((pair) => pair.trim())
      .filter(Boolean);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new UsageError(`--set (PROMEMU_SET) ${value}: not a valid JSON object (${(err as Error).message}); give key=value pairs, or an object such as {"hosts.count": 50}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`--set (PROMEMU_SET) ${value}: must be a JSON object of parameters, such as {"hosts.count": 50}`);
  }
  return Object.entries(parsed).map(([key, item]): SetEntry => {
    if (typeof item !== "string" && typeof item !== "number" && typeof item !== "boolean") {
      throw new UsageError(`--set (PROMEMU_SET) ${value}: "${key}" must be a string, a number or a boolean`);
    }
    return [key, String(item)];
  });
}
