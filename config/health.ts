/**
 * What each container listens on inside the stack network and how its health is checked. One table,
 * used by the components (Docker health checks), the live tests (the same URLs on the real servers)
 * and the operations CLI.
 */
import type { ServiceName } from "./settings";

/** Port each service listens on inside its container (host ports are configurable, these are not). */
export const CONTAINER_PORTS: Record<ServiceName, number> = {
  pushgateway: 9091,
  prometheus: 9090,
  alertmanager: 9093,
  grafana: 3000,
  emulator: 9464,
};

/** Path that answers 200 once the service is up. Prometheus-family servers expose /-/healthy; Grafana /api/health. */
export const HEALTH_PATHS: Record<ServiceName, string> = {
  pushgateway: "/-/healthy",
  prometheus: "/-/healthy",
  alertmanager: "/-/healthy",
  grafana: "/api/health",
  emulator: "/healthz",
};

/** Timing from the seed (30 s / 10 s / 3 retries); startInterval lets `wait: true` see health within seconds. */
export const HEALTH_TIMING = { intervalMs: 30_000, timeoutMs: 10_000, retries: 3, startPeriodMs: 20_000, startIntervalMs: 2_000 };

/**
 * Formats milliseconds the way Go's time.Duration prints them ("30s", "1m0s", "500ms"), which is how the
 * Docker provider reads durations back: any other spelling shows as a permanent diff.
 */
export function goDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  if (hours) return `${hours}h${minutes}m${seconds}s`;
  if (minutes) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** URL a health check probes from inside the container. 127.0.0.1, not localhost: busybox may resolve localhost to ::1. */
export function healthUrl(service: ServiceName, host = "127.0.0.1", port = CONTAINER_PORTS[service]): string {
  return `http://${host}:${port}${HEALTH_PATHS[service]}`;
}

/**
 * The Docker health check of a service, in the Docker provider's shape. Every image here has busybox
 * `wget` (prom/* and the emulator's Alpine base; Grafana's Alpine image too); `--spider` because a plain
 * `wget` tries to write the body to a file and fails.
 */
export function healthCheck(service: ServiceName) {
  return {
    tests: ["CMD", "wget", "-q", "--spider", healthUrl(service)],
    interval: goDuration(HEALTH_TIMING.intervalMs),
    timeout: goDuration(HEALTH_TIMING.timeoutMs),
    retries: HEALTH_TIMING.retries,
    startPeriod: goDuration(HEALTH_TIMING.startPeriodMs),
    startInterval: goDuration(HEALTH_TIMING.startIntervalMs),
  };
}
