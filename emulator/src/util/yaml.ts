/**
 * YAML from files people hand us (scenarios, rule files, the stack's settings and user files): js-yaml,
 * with the size of the document bounded.
 *
 * js-yaml keeps an alias as a reference to its anchored node, so loading a "billion laughs" (nine levels
 * of nine aliases, 1 KB) is cheap; but whatever walks the result (the schema check, the compiler,
 * JSON.stringify) visits every expansion: 10^9 nodes and gigabytes of memory. js-yaml bounds nesting
 * (maxDepth) and merge keys but not aliases, and the `yaml` package's maxAliasCount would mean a second
 * parser with other messages and merge-key rules. So the document's expanded size is counted once,
 * memoized per node (linear in the document, not in its expansion), and refused above a bound with a
 * YAMLException: every caller already reports those as invalid YAML, naming its file.
 */
import * as yaml from "js-yaml";

/** Values (maps, lists and scalars) a document may expand to: a scenario of 1,000 host templates is some 50,000. */
export const MAX_YAML_VALUES = 1_000_000;

/** `yaml.load`, refusing a document that expands beyond `maxValues` values through its aliases, or that contains itself. */
export function loadYaml(text: string, options?: yaml.LoadOptions, maxValues = MAX_YAML_VALUES): unknown {
  const doc = yaml.load(text, options);
  const sizes = new Map<object, number>();
  const open = new Set<object>();
  const tooLarge = () =>
    new yaml.YAMLException(`the document expands to more than ${maxValues.toLocaleString("en-US")} values through its aliases (*name); refused, as it would exhaust memory`);
  // Expanded size of a value, capped just above the bound.
  const size = (value: unknown): number => {
    if (typeof value !== "object" || value === null) return 1;
    const known = sizes.get(value);
    if (known !== undefined) return known;
    if (open.has(value)) throw new yaml.YAMLException("an alias (*name) refers to a node that contains it: the document would be infinite");
    open.add(value);
    let total = 1;
    for (const child of Object.values(value)) {
      total += size(child);
      if (total > maxValues) throw tooLarge();
    }
    open.delete(value);
    sizes.set(value, total);
    return total;
  };
  try {
    size(doc);
  } catch (err) {
    // A chain of aliases deeper than the stack is as good as too large.
    if (err instanceof RangeError) throw tooLarge();
    throw err;
  }
  return doc;
}
