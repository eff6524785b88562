/**
 * `status`: every service's container state, Docker health and HTTP health, Prometheus' scrape targets
 * and firing alerts. Exit code 1 when anything is unhealthy, so scripts can wait on it.
 */
import { HEALTH_PATHS } from "../../config/health";
import { exposureWarning, isLoopback } from "../../config/exposure";
import { parseSettings, ServiceName, Settings } from "../../config/settings";
import type { OpsContext } from "../context";
import { note, say } from "../context";
import { ContainerInfo, inspectContainers, runsHealthy } from "../docker";
import { probe, Probe } from "../http";
import { FiringAlert, firingAlerts, ScrapeTarget, scrapeTargets } from "../service-api";
import { chooseStack, deployedOutputs, deployedServices, StackOutputs } from "../stack";
import { stackSettings } from "../stack-files";
import { table } from "../text";

export interface ServiceStatus {
  service: ServiceName;
  container: string;
  /** Docker's container state, `missing` when Docker has no such container. */
  state: string;
  /** Docker's health check verdict, when the container has one. */
  dockerHealth?: string;
  url?: string;
  http?: Probe;
  healthy: boolean;
}

export interface StackStatus {
  project: string;
  stack: string;
  healthy: boolean;
  /** What other machines can reach when the ports are published beyond loopback: a warning, not a health problem. */
  exposure?: string;
  services: ServiceStatus[];
  prometheus: { targets: ScrapeTarget[]; firingAlerts: FiringAlert[]; error?: string };
  /** One line per thing that is wrong. */
  problems: string[];
}

function serviceStatus(service: ServiceName, container: string, info: ContainerInfo | undefined, url: string | undefined, http?: Probe): ServiceStatus {
  const state = info?.state ?? "missing";
  const dockerHealth = info?.health;
  const healthy = runsHealthy({ state, health: dockerHealth }) && (http?.ok ?? true);
  return { service, container, state, dockerHealth, url, http, healthy };
}

/**
 * The warning `up` prints for a bindAddress other than loopback (config/exposure.ts, one wording), when
 * Docker publishes any of the stack's ports beyond loopback. Docker's bindings decide, since the stack
 * file may have changed since the last `up`; the file gives the rest of the settings (its defaults when
 * it cannot be read, which `up` and `config` report).
 */
function exposure(ctx: OpsContext, outputs: StackOutputs, services: ServiceName[], containers: Map<string, ContainerInfo>): string | undefined {
  const published = services.flatMap((s) => containers.get(outputs.containers[s]!)?.ports ?? []);
  const address = published.map((p) => p.hostIp || "0.0.0.0").find((ip) => !isLoopback(ip));
  if (address === undefined) return undefined;
  let settings: Settings;
  try {
    settings = stackSettings(ctx, outputs.project, outputs.stack).settings;
  } catch {
    settings = parseSettings({}, `Pulumi.${outputs.stack}.yaml`, outputs.project);
  }
  return exposureWarning({ ...settings, bindAddress: address });
}

/** Collects the status of a deployed stack (no printing). */
export async function collectStatus(ctx: OpsContext, outputs: StackOutputs): Promise<StackStatus> {
  const services = deployedServices(outputs);
  const containers = await inspectContainers(
    ctx,
    services.map((s) => outputs.containers[s]!),
  );
  const statuses = await Promise.all(
    services.map(async (service) => {
      const container = outputs.containers[service]!;
      const url = outputs.urls[service];
      const http = url ? await probe(`${url}${HEALTH_PATHS[service]}`) : undefined;
      return serviceStatus(service, container, containers.get(container), url, http);
    }),
  );
  const prometheus: StackStatus["prometheus"] = { targets: [], firingAlerts: [] };
  const prometheusUrl = outputs.urls.prometheus;
  if (prometheusUrl && statuses.find((s) => s.service === "prometheus")?.http?.ok) {
    try {
      [prometheus.targets, prometheus.firingAlerts] = await Promise.all([scrapeTargets(prometheusUrl), firingAlerts(prometheusUrl)]);
    } catch (err) {
      prometheus.error = (err as Error).message;
    }
  } else {
    prometheus.error = "Prometheus does not answer: scrape targets and alerts are unknown";
  }
  const problems: string[] = [];
  for (const s of statuses.filter((x) => !x.healthy)) {
    const why = [
      s.state !== "running" ? `container ${s.state}` : "",
      s.dockerHealth && s.dockerHealth !== "healthy" ? `health check ${s.dockerHealth}` : "",
      s.http && !s.http.ok ? `${s.http.url}: ${s.http.error}` : "",
    ].filter(Boolean);
    problems.push(`${s.service}: ${why.join("; ")}`);
  }
  for (const t of prometheus.targets.filter((x) => x.health !== "up")) {
    problems.push(`scrape target ${t.job} (${t.url}) is ${t.health}${t.lastError ? `: ${t.lastError}` : ""}`);
  }
  if (prometheus.error) problems.push(prometheus.error);
  return {
    project: outputs.project,
    stack: outputs.stack,
    healthy: problems.length === 0,
    exposure: exposure(ctx, outputs, services, containers),
    services: statuses,
    prometheus,
    problems,
  };
}

function printStatus(ctx: OpsContext, status: StackStatus): void {
  say(ctx, `Stack ${status.stack} (project ${status.project})`);
  say(ctx);
  if (status.exposure) {
    say(ctx, `WARNING: ${status.exposure}`);
    say(ctx);
  }
  const rows = status.services.map((s) => [
    s.service,
    s.container,
    s.state,
    s.dockerHealth ?? "-",
    s.http ? (s.http.ok ? "ok" : s.http.error ?? "failed") : "-",
    s.url ?? "-",
  ]);
  say(ctx, table(["SERVICE", "CONTAINER", "STATE", "HEALTH CHECK", "HTTP", "URL"], rows));
  say(ctx);
  if (status.prometheus.targets.length) {
    say(ctx, "Scrape targets (Prometheus):");
    say(ctx, table(["JOB", "HEALTH", "URL", "LAST ERROR"], status.prometheus.targets.map((t) => [t.job, t.health, t.url, t.lastError || "-"]), "  "));
    say(ctx);
  }
  const alerts = status.prometheus.firingAlerts;
  say(ctx, alerts.length ? `Firing alerts (${alerts.length}):` : "Firing alerts: none");
  for (const a of alerts) {
    const labels = Object.entries(a.labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(", ");
    say(ctx, `  ${a.name} {${labels}}${a.activeAt ? ` since ${a.activeAt}` : ""}`);
  }
  say(ctx);
  if (status.healthy) say(ctx, "All services healthy.");
  else {
    say(ctx, `Unhealthy (${status.problems.length}):`);
    for (const p of status.problems) say(ctx, `  - ${p}`);
    say(ctx, "See the logs with npm run logs -- <service>, or docs/operations.md#troubleshooting.");
  }
}

export async function statusCommand(ctx: OpsContext, options: { stack?: string; json?: boolean }): Promise<number> {
  const choice = await chooseStack(ctx, options.stack);
  const outputs = await deployedOutputs(ctx, choice);
  const status = await collectStatus(ctx, outputs);
  if (options.json) {
    say(ctx, JSON.stringify(status, null, 2));
    // Scripts read the JSON; the person running them still sees the warning.
    if (status.exposure) note(ctx, `WARNING: ${status.exposure}`);
  } else printStatus(ctx, status);
  return status.healthy ? 0 : 1;
}
