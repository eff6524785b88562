/**
 * Seeded randomness. Every host+metric gets its own stream derived from (seed, host, metric), so
 * adding a host or a metric never shifts the numbers another one sees.
 */

/** FNV-1a over UTF-16 code units: a stable 32-bit hash of a name (also picks a host's shard). */
export function hashString(text: string, basis = 0x811c9dc5): number {
  let hash = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * mulberry32 (Tommy Ettinger): one 32-bit word of state, fast, and plenty for workload noise. One
 * word matters at 15,000 hosts x a dozen streams: every number field of an object costs memory, a
 * double field a box of its own. Random generators extend this class (or Random, for Gaussian
 * draws), so that a generator and its stream are one object.
 */
export class RandomStream {
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** The seed of the stream for the given names under a run seed, e.g. `Random.seed(42, "worker-01", "cpu_usage_percent")`. */
  static seed(seed: number, ...names: string[]): number {
    let hash = hashString(String(seed));
    for (const name of names) hash = hashString(name, hash ^ 0x5bd1e995);
    // murmur3's finalizer, so that similar names (worker-01, worker-02) start far apart.
    hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
    hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
    return hash ^ (hash >>> 16);
  }

  static stream(seed: number, ...names: string[]): RandomStream {
    return new RandomStream(RandomStream.seed(seed, ...names));
  }

  /** Uniform in [0, 1). */
  next(): number {
    let z = (this.state = (this.state + 0x6d2b79f5) | 0);
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }
}

/** A stream that also draws from the standard normal distribution (it keeps the spare of each pair). */
export class Random extends RandomStream {
  /** NaN when empty: a field that stays a number keeps V8 from changing its representation. */
  private spare = NaN;

  static override stream(seed: number, ...names: string[]): Random {
    return new Random(RandomStream.seed(seed, ...names));
  }

  /** Standard normal (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spare === this.spare) {
      const value = this.spare;
      this.spare = NaN;
      return value;
    }
    let u = this.next();
    while (u === 0) u = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * this.next();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }
}
