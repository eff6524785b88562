/** Host ports: whether one is free right now, and which configuration key moves a taken one. */
import * as dgram from "dgram";
import * as net from "net";
import * as path from "path";
import { publishedPorts, Settings } from "../config/settings";
import { OpsError, PortInUseError, UsageError } from "./errors";

/**
 * True when nothing holds host:port for the protocol (checked by taking it for a moment): a TCP listener, or a UDP
 * socket bound there (the log store's syslog listener is UDP; a TCP listen says nothing about it).
 */
export function isPortFree(host: string, port: number, protocol: "tcp" | "udp" = "tcp"): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE" || err.code === "EACCES") resolve(false);
      else if (err.code === "EADDRNOTAVAIL") reject(new UsageError(`bindAddress ${host} is not an address of this machine: use 127.0.0.1 or 0.0.0.0`));
      else reject(err);
    };
    if (protocol === "udp") {
      const socket = dgram.createSocket({ type: "udp4" });
      socket.unref();
      socket.once("error", (err) => {
        socket.close();
        failed(err);
      });
      socket.bind({ port, address: host, exclusive: true }, () => socket.close(() => resolve(true)));
      return;
    }
    const server = net.createServer();
    server.unref();
    server.once("error", failed);
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Rewrites a port clash into which service owns the port and which key of which file to change. */
export function explainPortClash(err: PortInUseError, settings: Settings, stackFile: string, project: string): OpsError {
  const owner = publishedPorts(settings).find((p) => p.port === err.port);
  const file = path.basename(stackFile);
  const key = owner ? `${project}:${owner.key} (now ${owner.port - settings.portOffset}) or ` : "";
  const what = owner ? ` (${owner.service}${owner.protocol === "udp" ? ", UDP" : ""})` : "";
  return new OpsError(
    `host port ${err.port}${what} on ${err.address || settings.bindAddress} is already in use by another program or stack: ` +
      `stop it, or change ${key}${project}:portOffset (now ${settings.portOffset}) in ${file}; npm run stack:new -- <name> picks a free offset for a new stack`,
  );
}
