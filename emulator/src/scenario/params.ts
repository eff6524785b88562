/**
 * Scenario parameters: a `params:` map of defaults, referenced anywhere in the document as
 * `${hosts.count}`, and overridden from the command line with `--set hosts.count=50`.
 * A reference that is the whole string keeps the parameter's type (`count: ${hosts.count}` is a
 * number); inside a longer string it is interpolated (`name: web-${site}-{{i}}`).
 */
import { UsageError, formatPath } from "../errors";

export type ParamValue = string | number | boolean;

const REFERENCE = /\$\{([^}]*)\}/g;
const WHOLE_REFERENCE = /^\$\{([^}]*)\}$/;

/** `{hosts: {count: 4}}` -> `hosts.count = 4`. */
export function flattenParams(params: Record<string, unknown>, source: string): Map<string, ParamValue> {
  const flat = new Map<string, ParamValue>();
  const walk = (value: unknown, path: string[]) => {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
      flat.set(path.join("."), value);
    } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
    } else {
      throw new UsageError(`${source}: ${formatPath(["params", ...path])}: must be a string, a number, a boolean or a map of them`);
    }
  };
  walk(params, []);
  return flat;
}

/** An override: `key=value` text, or a key and its exact value (from a JSON --set or PROMEMU_SET). */
export type SetEntry = string | readonly [string, string];

/** Splits `key=value` pairs; PROMEMU_SET and repeated --set arrive here alike. */
export function parseSetPairs(pairs: readonly SetEntry[], setName = "--set"): [string, string][] {
  return pairs.map((pair) => {
    if (typeof pair !== "string") return [pair[0], pair[1]];
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`${setName} "${pair}": must be key=value, e.g. ${setName} hosts.count=50`);
    return [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
  });
}

function describe(params: Map<string, ParamValue>): string {
  return params.size ? [...params].map(([k, v]) => `${k}=${v}`).join(", ") : "none";
}

/** A number as people write it in decimal (1e3 too); not hex, octal, binary or Infinity, which Number() also reads. */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Applies overrides on top of the defaults; each value is read as the type of its default. `setName` (--set or
 * PROMEMU_SET) is how messages name the option; `overridden` receives each overridden key with its text.
 */
export function overrideParams(
  params: Map<string, ParamValue>,
  pairs: readonly SetEntry[],
  scenario: string,
  setName = "--set",
  overridden?: Map<string, string>,
): Map<string, ParamValue> {
  const result = new Map(params);
  for (const [key, text] of parseSetPairs(pairs, setName)) {
    const fallback = params.get(key);
    if (fallback === undefined) {
      throw new UsageError(`${setName} ${key}=${text}: scenario ${scenario} has no parameter "${key}" (its parameters: ${describe(params)})`);
    }
    if (typeof fallback === "number") {
      if (!DECIMAL.test(text) || !Number.isFinite(Number(text))) throw new UsageError(`${setName} ${key}=${text}: must be a number written in decimal (the default is ${fallback})`);
      result.set(key, Number(text));
    } else if (typeof fallback === "boolean") {
      if (text !== "true" && text !== "false") throw new UsageError(`${setName} ${key}=${text}: must be true or false (the default is ${fallback})`);
      result.set(key, text === "true");
    } else {
      result.set(key, text);
    }
    overridden?.set(key, text);
  }
  return result;
}

/**
 * Replaces every `${name}` in the document (outside `params` itself) by its value. `references` receives the path
 * (formatPath) of every value that is a whole `${name}`, with the name: a bad value there is the parameter's.
 */
export function substituteParams(doc: unknown, params: Map<string, ParamValue>, source: string, references?: Map<string, string>): unknown {
  const lookup = (name: string, path: PropertyKey[]): ParamValue => {
    const value = params.get(name.trim());
    if (value === undefined) {
      throw new UsageError(`${source}: ${formatPath(path)}: unknown parameter \${${name}} (parameters: ${describe(params)})`);
    }
    return value;
  };
  const walk = (value: unknown, path: PropertyKey[]): unknown => {
    if (typeof value === "string") {
      const whole = WHOLE_REFERENCE.exec(value);
      if (whole) {
        references?.set(formatPath(path), whole[1].trim());
        return lookup(whole[1], path);
      }
      return value.replace(REFERENCE, (_, name: string) => String(lookup(name, path)));
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, path.length === 0 && key === "params" ? child : walk(child, [...path, key])]));
    }
    return value;
  };
  return walk(doc, []);
}
