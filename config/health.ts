/**
 * What each container listens on inside the stack network and how its health is checked. One table,
 * used by the components (Docker health checks), the live tests (the same URLs on the real servers)
 * and the operations CLI.
 */
import type { ServiceName } from "./settings";

/** Port each service listens on inside its container (host ports are configurable, these are not). */
export const CONTAINER_PORTS: Record<ServiceName, number> = {
  // VictoriaLogs' default; a Loki backend is configured to listen there too (config/logs.ts).
  logs: 9428,
  pushgateway: 9091,
  prometheus: 9090,
  alertmanager: 9093,
  grafana: 3000,
  emulator: 9464,
};

/** Path that answers 200 once the service is up. Prometheus-family servers expose /-/healthy; Grafana /api/health. */
export const HEALTH_PATHS: Record<ServiceName, string> = {
  // The one path both log stores answer once their HTTP server runs (VictoriaLogs has /health, Loki /ready).
  logs: "/metrics",
  pushgateway: "/-/healthy",
  prometheus: "/-/healthy",
  alertmanager: "/-/healthy",
  grafana: "/api/health",
  emulator: "/healthz",
};

/**
 * The stack supports Docker Engine 20.10 and newer (API 1.41). Engines below API 1.44 (Docker 25) refuse a
 * health check with a start interval and probe only every `interval`, even while starting: a container is first
 * seen healthy one interval after it starts, and `wait: true` gates every create on that. So the interval itself
 * is short (a `wget` every 5 s costs next to nothing), and the start period is long: failures within it do not
 * count, so a slow first start (Grafana's database migrations on a slow disk) is not declared unhealthy, while a
 * quick one is reported healthy at its first successful probe.
 */
export const HEALTH_TIMING = { intervalMs: 5_000, timeoutMs: 3_000, retries: 3, startPeriodMs: 60_000 };

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
  };
}
