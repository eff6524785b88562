import * as pulumi from "@pulumi/pulumi";
import { LOG_STORE_DATA_PATHS, LOKI_CONFIG_PATH, SYSLOG_CONTAINER_PORT } from "../config/logs";
import type { LogBackend } from "../config/settings";
import { StatefulService, StatefulServiceArgs } from "./service";

export interface LogStoreArgs extends StatefulServiceArgs {
  readonly backend: LogBackend;
  /** VictoriaLogs: its flags (config/logs.ts victoriaLogsCommand). */
  readonly command?: string[];
  /** Loki: its rendered configuration file (config/logs.ts renderLokiConfig). */
  readonly config?: pulumi.Input<string>;
  /** Host port (UDP) of the syslog listener the stack's containers ship their output to; none: no listener published. */
  readonly collectorHostPort?: number;
  /** Whether the image can run the Docker health check (a `wget`; config/logs.ts lokiImageHasWget). */
  readonly dockerHealthCheck: boolean;
}

/**
 * The log store: the emulator pushes its hosts' lines to it (Loki push API), the stack's containers ship their output
 * to its syslog listener, Grafana queries it. Its data lives on its own volume. VictoriaLogs' image is distroless
 * since v1.52.0, with no program a Docker health check could run: it has none, and status, restore and the end-of-up
 * check (Prometheus scraping it) probe it over HTTP. Loki's images up to 3.5 carry busybox: they get the stack's
 * `wget` health check, and the containers created after the store wait for it.
 */
export class LogStore extends StatefulService {
  constructor(name: string, args: LogStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.backend === "loki" && args.config === undefined) throw new Error(`${name}: a Loki log store needs its configuration file`);
    super(
      "promemu:index:LogStore",
      name,
      "logs",
      args,
      () => ({
        command: args.backend === "loki" ? [`-config.file=${LOKI_CONFIG_PATH}`, "-target=all"] : args.command,
        uploads: args.backend === "loki" ? [{ file: LOKI_CONFIG_PATH, content: args.config! }] : undefined,
        dataPath: LOG_STORE_DATA_PATHS[args.backend],
        dockerHealthCheck: args.dockerHealthCheck,
        extraPorts:
          args.collectorHostPort === undefined
            ? undefined
            : [{ internal: SYSLOG_CONTAINER_PORT, external: args.collectorHostPort, ip: args.bindAddress, protocol: "udp" }],
      }),
      opts,
    );
  }
}
