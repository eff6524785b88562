/**
 * The log store's command line or configuration file, the URLs the stack reaches it on, and the Docker log driver
 * that ships the stack's own containers' output to it (the collector). Pure functions of the settings.
 *
 * VictoriaLogs (the default) is configured by flags only (read in github.com/VictoriaMetrics/VictoriaLogs v1.52.2,
 * app/vlstorage and app/vlinsert/syslog). Loki is AGPL and is never run here: its file follows Loki's
 * documentation and source (docs/logs.md, "Loki as the store"), checked by structure only.
 */
import { CONTAINER_PORTS } from "./health";
import { dumpYaml } from "./prometheus";
import { type LogBackend, parseDuration, type Settings } from "./settings";

/** Where each store keeps its data (the stack's volume is mounted there). */
export const LOG_STORE_DATA_PATHS: Record<LogBackend, string> = {
  // The upstream image has no working directory of its own (distroless, ENTRYPOINT /victoria-logs-prod): the
  // default -storageDataPath is relative ("victoria-logs-data"), so the stack names an absolute one.
  victorialogs: "/victoria-logs-data",
  // The grafana/loki image's own data folder (its Dockerfile: `mkdir /loki`, owned by the image user 10001).
  loki: "/loki",
};

/** Where the Loki configuration file is uploaded (the image's own default path). */
export const LOKI_CONFIG_PATH = "/etc/loki/local-config.yaml";

/** The UDP port of VictoriaLogs' syslog listener inside the container (the host port is `logs.collectorPort`). */
export const SYSLOG_CONTAINER_PORT = 5140;

/** The push path of the Loki push API on each store. */
export const LOKI_PUSH_PATHS: Record<LogBackend, string> = {
  victorialogs: "/insert/loki/api/v1/push",
  loki: "/loki/api/v1/push",
};

/** The Loki push URL of the store as the emulator reaches it on the stack network, e.g. http://logs:9428/insert/loki/api/v1/push. */
export function logStorePushUrl(backend: LogBackend, host = "logs", port = CONTAINER_PORTS.logs): string {
  return `http://${host}:${port}${LOKI_PUSH_PATHS[backend]}`;
}

/** A retention as both stores write it: whole days when it is some (`7d`), else whole hours (`36h`). */
export function retentionFlag(retention: string): string {
  return daysOrHours(parseDuration(retention)!);
}

function daysOrHours(ms: number): string {
  return ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : `${Math.ceil(ms / 3_600_000)}h`;
}

/**
 * VictoriaLogs' flags: data on the volume, the retention, the HTTP API on the stack's port and, when it collects the
 * containers' output, a syslog listener (UDP) whose streams are the sending host and the container (Docker's syslog
 * driver puts the container's name in the RFC 5424 APP-NAME, see dockerSyslogLogging).
 */
export function victoriaLogsCommand(settings: Settings): string[] {
  return [
    `-storageDataPath=${LOG_STORE_DATA_PATHS.victorialogs}`,
    `-httpListenAddr=:${CONTAINER_PORTS.logs}`,
    `-retentionPeriod=${retentionFlag(settings.logs.retention)}`,
    `-syslog.listenAddr.udp=:${SYSLOG_CONTAINER_PORT}`,
    `-syslog.streamFields.udp=${JSON.stringify(["hostname", "app_name"])}`,
    "-loggerLevel=INFO",
  ];
}

/**
 * Loki's configuration file (single binary, `-target=all`), the shape of Loki 3.x's own
 * cmd/loki/loki-local-config.yaml with the stack's port and retention: filesystem storage on the volume, one
 * in-memory ring member, TSDB index schema v13, and retention applied by the compactor (limits_config.retention_period
 * has no effect without compactor.retention_enabled, and Loki 3 refuses retention_enabled without a
 * delete_request_store).
 */
export function renderLokiConfig(settings: Settings): string {
  const dir = LOG_STORE_DATA_PATHS.loki;
  return dumpYaml({
    auth_enabled: false,
    server: { http_listen_port: CONTAINER_PORTS.logs, grpc_listen_port: 9096, log_level: "info" },
    common: {
      instance_addr: "127.0.0.1",
      path_prefix: dir,
      storage: { filesystem: { chunks_directory: `${dir}/chunks`, rules_directory: `${dir}/rules` } },
      replication_factor: 1,
      ring: { kvstore: { store: "inmemory" } },
    },
    schema_config: {
      configs: [{ from: "2024-01-01", store: "tsdb", object_store: "filesystem", schema: "v13", index: { prefix: "index_", period: "24h" } }],
    },
    compactor: { working_directory: `${dir}/compactor`, retention_enabled: true, delete_request_store: "filesystem" },
    // The history's lines (config/history.ts historyLogsCommand) go back as far as the retention, and are pushed a few
    // minutes after the history's start was taken: a day more than the retention accepts them all (Loki refuses a
    // request with lines older than this, by default a week).
    limits_config: {
      retention_period: retentionFlag(settings.logs.retention),
      reject_old_samples_max_age: daysOrHours(parseDuration(settings.logs.retention)! + 86_400_000),
    },
    analytics: { reporting_enabled: false },
  });
}

/**
 * The collector: Docker's own syslog log driver, sending every stack container's output to the store's syslog
 * listener. The Docker daemon (not the container) dials that address, so it is the listener's published host port.
 * UDP, so that a container starts whether the store is up or not (a TCP syslog driver fails the container's start
 * when it cannot connect). RFC 5424 with microseconds; the APP-NAME is the container's name. Since Docker 20.10 the
 * daemon keeps a local copy too ("dual logging"), so `docker logs` and `npm run logs` keep working.
 */
export function dockerSyslogLogging(hostAddress: string, hostPort: number): { driver: string; options: Record<string, string> } {
  const host = hostAddress === "0.0.0.0" ? "127.0.0.1" : hostAddress;
  return {
    driver: "syslog",
    options: { "syslog-address": `udp://${host}:${hostPort}`, "syslog-format": "rfc5424micro", tag: "{{.Name}}" },
  };
}

/**
 * Whether a Loki image carries a `wget` for a Docker health check. Loki's images up to 3.5 are built on
 * gcr.io/distroless/static:debug (cmd/loki/Dockerfile), whose busybox is on PATH; 3.6.0 changed the base and removed
 * busybox (grafana/loki#20149: "Docker healthchecks impossible since v3.6.0"). A tag that names no version (a digest,
 * `latest`) gets no health check: a check that cannot run would keep the store "starting" and fail `up`.
 */
export function lokiImageHasWget(image: string): boolean {
  const version = /:(\d+)\.(\d+)(?:\.\d+)?(?:@|$)/.exec(image);
  if (!version) return false;
  const [major, minor] = [Number(version[1]), Number(version[2])];
  return major < 3 || (major === 3 && minor < 6);
}
