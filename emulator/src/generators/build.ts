/** From a validated generator spec to the object that produces its values. */
import type { GeneratorSpec } from "../model/specs";
import { Constant, Derived, Load, Normal, Sum, Sum2, Uniform, Uptime } from "./basic";
import { EventValue, Switch } from "./events";
import { Diurnal, Sine, Toggle } from "./periodic";
import { OrnsteinUhlenbeck, Steps, Trend } from "./stochastic";
import type { BuildEnv, Generator } from "./types";

const statelessCache = new WeakMap<GeneratorSpec, boolean>();

/**
 * Whether a generator is a pure function of (t, host context): no randomness, no events, no memory.
 * Those are built once and shared by every host of a shape, which at 10,000 hosts saves a dozen
 * objects per host and keeps a tick's working set small.
 */
export function isStateless(spec: GeneratorSpec): boolean {
  let known = statelessCache.get(spec);
  if (known === undefined) {
    switch (spec.type) {
      case "constant":
      case "sine":
      case "diurnal":
      case "load":
      case "derived":
      case "uptime":
        known = true;
        break;
      case "toggle":
        known = !spec.events?.rise && !spec.events?.fall;
        break;
      case "sum":
        known = spec.of.every(isStateless);
        break;
      default:
        known = false;
    }
    statelessCache.set(spec, known);
  }
  return known;
}

/** `key` names the generator's place in its tree, so that each random generator gets its own stream. */
export function buildGenerator(spec: GeneratorSpec, env: BuildEnv, key: string): Generator {
  if (!isStateless(spec)) return build(spec, env, key);
  let shared = env.shared.get(spec);
  if (!shared) env.shared.set(spec, (shared = build(spec, env, key)));
  return shared;
}

function build(spec: GeneratorSpec, env: BuildEnv, key: string): Generator {
  switch (spec.type) {
    case "constant":
      return new Constant(spec.value);
    case "uniform":
      return new Uniform(spec.min, spec.max, env.seed(key));
    case "normal":
      return new Normal(spec.mean, spec.stddev, env.seed(key));
    case "sine":
      return new Sine(spec.min, spec.max, spec.period, spec.phase);
    case "diurnal":
      return new Diurnal(spec.min, spec.max, spec.peak, env.timeOfDay);
    case "toggle": {
      const toggle = new Toggle(spec);
      toggle.announceEdges(env);
      return toggle;
    }
    case "steps":
      return new Steps(spec.choices, spec.hold, env.seed(key));
    case "trend":
      return new Trend(spec, env.seed(key));
    case "ou":
      return new OrnsteinUhlenbeck(spec.mean, spec.stddev, spec.reversion, spec.start, env.seed(key));
    case "uptime":
      return new Uptime(spec.offset / 1000);
    case "load":
      return new Load(spec.min, spec.max);
    case "derived":
      return new Derived(env.metricIndex(spec.from), spec.scale, spec.offset, spec.percentOf);
    case "event":
      return new EventValue(spec.initial, spec.on, env);
    case "switch":
      return new Switch(
        buildGenerator(spec.base, env, `${key}.base`),
        buildGenerator(spec.generator, env, `${key}.generator`),
        spec.on,
        spec.for,
        spec.until,
        env,
      );
    case "sum": {
      const parts = spec.of.map((part, i) => buildGenerator(part, env, `${key}.of.${i}`));
      return parts.length === 2 ? new Sum2(parts[0], parts[1]) : new Sum(parts);
    }
  }
}
