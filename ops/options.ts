/**
 * Parsers for the command-line options that take a value, given to commander (`.option(flags, help,
 * parser)`), so that a bad value stops the command while the command line is read, before anything is
 * done. `Number()` is never used on its own: it reads "" as 0 and "abc" as NaN.
 */
import { UsageError } from "./errors";

/** The option's long name as people typed it: "--timeout <seconds>" -> "--timeout". */
function flag(flags: string): string {
  return /--[\w-]+/.exec(flags)?.[0] ?? flags;
}

/** A whole number from `min` to `max`. */
export function wholeNumber(flags: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new UsageError(`${flag(flags)} must be a whole number from ${min} to ${max}, not '${value}'`);
    }
    return n;
  };
}

/** Seconds, with a fraction if wanted (0.5), more than 0 and at most `max`. */
export function seconds(flags: string, max: number): (value: string) => number {
  return (value) => {
    const n = /^\d+(\.\d+)?$|^\.\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
    if (!(n > 0 && n <= max)) throw new UsageError(`${flag(flags)} must be a number of seconds above 0 and at most ${max}, not '${value}'`);
    return n;
  };
}

/** A whole number, or one of the given words ('all'). */
export function wholeNumberOr(flags: string, words: string[], max: number): (value: string) => string {
  const number = wholeNumber(flags, 0, max);
  return (value) => {
    if (words.includes(value.trim())) return value.trim();
    try {
      return String(number(value));
    } catch {
      throw new UsageError(`${flag(flags)} must be a whole number from 0 to ${max} or ${words.map((w) => `'${w}'`).join(", ")}, not '${value}'`);
    }
  };
}

/** Any text but an empty one (an empty value would silently mean the default). */
export function nonEmpty(flags: string, what: string): (value: string) => string {
  return (value) => {
    if (value.trim() === "") throw new UsageError(`${flag(flags)} must be ${what}, not empty`);
    return value;
  };
}
