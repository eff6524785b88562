/**
 * The small model behind an HTTP service: one latent driver, `load` (share of the peak request
 * rate), and the active faults. Requests are whole numbers: each tick's new requests of a route are
 * split into status codes and into latency buckets (a log-normal around the route's median), so
 * that every counter only grows, the buckets are cumulative, `_count` equals the `+Inf` bucket and
 * the sum of `http_requests_total` over the codes of that method and route, and `_sum / _count` is
 * the mean latency.
 */
import type { Random } from "../../util/random";
import type { HttpEffects, HttpLayout, HttpRoute } from "./layout";

const SUCCESS: Record<HttpRoute["method"], string> = { GET: "200", POST: "201", PUT: "200", PATCH: "200", DELETE: "204" };
/** Status codes of a route, in the order of its series: success, client error, server error. */
export const codesOf = (r: HttpRoute): string[] => [SUCCESS[r.method], r.method === "GET" ? "404" : "400", "500"];

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 through erf). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

export class HttpState {
  load = 0;
  inFlight = 0;
  /** Per route x code (codesOf order). */
  readonly requests: Float64Array;
  /** Per route: cumulative count of each bucket bound, then +Inf. */
  readonly buckets: Float64Array;
  readonly sum: Float64Array;
  readonly count: Float64Array;
  /** Per route: requests due so far (fractional), of which `count` have been emitted. */
  private readonly due: Float64Array;
  /** Fixed by the layout: the routes' shares together, and mean / median of the log-normal latency. */
  private readonly shares: number;
  private readonly meanOverMedian: number;

  constructor(readonly layout: HttpLayout) {
    const n = layout.routes.length;
    this.requests = new Float64Array(n * 3);
    this.buckets = new Float64Array(n * (layout.buckets.length + 1));
    this.sum = new Float64Array(n);
    this.count = new Float64Array(n);
    this.due = new Float64Array(n);
    this.shares = layout.routes.reduce((a, r) => a + r.share, 0);
    this.meanOverMedian = Math.exp((layout.spread * layout.spread) / 2);
  }

  /** Advances by dt seconds at the given load under the given faults. */
  advance(dt: number, load: number, fx: HttpEffects, random: Random): void {
    const L = this.layout;
    this.load = load;
    const shares = this.shares;
    const B = L.buckets.length;
    const draw = (n: number, p: number) => {
      if (n <= 0 || p <= 0) return 0;
      const mean = n * p;
      return Math.max(0, Math.min(n, Math.round(mean + Math.sqrt(mean * (1 - Math.min(p, 1))) * random.normal())));
    };
    let flight = 0;
    L.routes.forEach((r, i) => {
      const rps = Math.max(0, L.peakRps * Math.max(0, load) * (r.share / shares) * (1 + 0.05 * random.normal()));
      const median = r.latency * (fx.slow.get(i) ?? 1) * (1 + 0.3 * load);
      const mean = median * this.meanOverMedian;
      flight += rps * mean;
      this.due[i] += rps * dt;
      const n = Math.floor(this.due[i]) - this.count[i];
      if (n <= 0) return;
      const errors = draw(n, fx.errors.get(i) ?? r.errors);
      const client = draw(n - errors, r.clientErrors);
      this.requests[i * 3] += n - errors - client;
      this.requests[i * 3 + 1] += client;
      this.requests[i * 3 + 2] += errors;
      let below = 0;
      for (let b = 0; b < B; b++) {
        below = Math.min(n, Math.max(below, Math.round(n * phi(Math.log(L.buckets[b] / median) / L.spread))));
        this.buckets[i * (B + 1) + b] += below;
      }
      this.buckets[i * (B + 1) + B] += n;
      this.count[i] += n;
      this.sum[i] += n * mean;
    });
    this.inFlight = Math.round(flight);
  }
}
