/**
 * The HTTP service's families: requests by method, route and status code, a latency histogram by
 * method and route (the shape SLO and burn-rate rules read), requests in flight, and the process.
 * The names and labels are those of the common client-library instrumentation
 * (`http_requests_total{code,method,route}`, `http_request_duration_seconds{method,route,le}`).
 */
import { type FamilySpec, counter as counterOf, gauge as gaugeOf } from "../family";
import type { HttpLayout } from "./layout";
import { type HttpState, codesOf } from "./model";

export type HttpFamily = FamilySpec<HttpLayout, HttpState>;

const HISTOGRAM = "http_request_duration_seconds";

/** Per route: one series per bucket bound, +Inf, then _sum and _count. */
const histogramRows = (L: HttpLayout) =>
  L.routes.flatMap((r) => [...L.buckets.map((b) => [r.method, r.route, String(b)]), [r.method, r.route, "+Inf"], [r.method, r.route], [r.method, r.route]]);
const histogramNames = (L: HttpLayout) => L.routes.flatMap(() => [...L.buckets.map(() => `${HISTOGRAM}_bucket`), `${HISTOGRAM}_bucket`, `${HISTOGRAM}_sum`, `${HISTOGRAM}_count`]);

function histogramValue(s: HttpState, i: number): number {
  const B = s.layout.buckets.length;
  const r = Math.floor(i / (B + 3));
  const j = i % (B + 3);
  if (j <= B) return s.buckets[r * (B + 1) + j];
  return j === B + 1 ? s.sum[r] : s.count[r];
}

export const HTTP_FAMILIES: HttpFamily[] = [
  {
    name: "http_requests_total",
    type: "counter",
    help: "Requests the service answered, by method, route and status code.",
    labels: ["code", "method", "route"],
    series: (L) => L.routes.flatMap((r) => codesOf(r).map((code) => [code, r.method, r.route])),
    value: (s, i) => s.requests[i],
  },
  {
    name: HISTOGRAM,
    type: "histogram",
    help: "How long the service took to answer requests, by method and route.",
    labels: ["method", "route", "le"],
    series: histogramRows,
    names: histogramNames,
    value: histogramValue,
  },
  gaugeOf<HttpLayout, HttpState>("http_requests_in_flight", "Requests being served now.", (s) => s.inFlight),
  counterOf<HttpLayout, HttpState>("process_cpu_seconds_total", "CPU time the service's process used.", (s) => 0.02 + 0.6 * s.load),
  gaugeOf<HttpLayout, HttpState>("process_resident_memory_bytes", "Resident memory of the service's process.", (s) => Math.round(180e6 + 60e6 * s.load)),
  gaugeOf<HttpLayout, HttpState>("process_open_fds", "File descriptors the service's process has open.", (s) => Math.round(40 + s.inFlight)),
  gaugeOf<HttpLayout, HttpState>("process_max_fds", "File descriptors the service's process may open.", () => 1048576),
];
