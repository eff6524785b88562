/**
 * `--set` values and PROMEMU_SET. `--set a=1 --set b=2` and `--set a=1,b=2` (and `PROMEMU_SET=a=1,b=2`)
 * as before; a JSON object (`{"hosts.count": 50, "site": "a,b=c"}`) carries any value exactly,
 * commas and `=` included. The stack sets PROMEMU_SET as JSON (config/emulator.ts). Messages name
 * `--set` or `PROMEMU_SET`, whichever the value came from, and quote the whole value given.
 */
import { UsageError } from "../errors";
import type { SetEntry } from "../scenario/params";

/** commander's argument parser of --set: collects the values as given; parseSetOption reads them once their origin is known. */
export function collectSet(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Every value of --set (or PROMEMU_SET, named by `name`), read; entries read already are kept as they are. */
export function parseSetOption(values: readonly SetEntry[], name: string): SetEntry[] {
  return values.flatMap((value) => (typeof value === "string" ? parseSetValue(value, name) : [value]));
}

export function parseSetValue(value: string, name = "--set"): SetEntry[] {
  if (!value.trimStart().startsWith("{")) {
    const pairs = value
      .split(",")
      .map((pair) => pair.trim())
      .filter(Boolean);
    const loose = pairs.find((pair) => pair.indexOf("=") <= 0);
    if (loose !== undefined) {
      throw new UsageError(
        pairs.length > 1
          ? `${name} "${value}": "${loose}" is not key=value; commas separate pairs, so a value with a comma needs the JSON form, e.g. ${name} '{"site": "x,y"}'`
          : `${name} "${value}": must be key=value, e.g. ${name} hosts.count=50`,
      );
    }
    return pairs;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new UsageError(`${name} ${value}: not a valid JSON object (${(err as Error).message}); give key=value pairs, or an object such as {"hosts.count": 50}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`${name} ${value}: must be a JSON object of parameters, such as {"hosts.count": 50}`);
  }
  return Object.entries(parsed).map(([key, item]): SetEntry => {
    if (typeof item !== "string" && typeof item !== "number" && typeof item !== "boolean") {
      throw new UsageError(`${name} ${value}: "${key}" must be a string, a number or a boolean`);
    }
    return [key, String(item)];
  });
}
