/** Draws one observation of a histogram's distribution. */
import type { Distribution } from "../model/specs";
import type { Random } from "../util/random";

export function sampler(distribution: Distribution, random: Random): () => number {
  switch (distribution.type) {
    case "lognormal": {
      const mu = Math.log(distribution.median);
      return () => Math.exp(mu + distribution.sigma * random.normal());
    }
    case "normal":
      return () => distribution.mean + distribution.stddev * random.normal();
    case "uniform":
      return () => random.uniform(distribution.min, distribution.max);
    case "exponential":
      return () => -distribution.mean * Math.log(1 - random.next());
  }
}
