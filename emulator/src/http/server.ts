/**
 * The emulator's HTTP endpoint (container port 9464): /healthz for the container health check,
 * /metrics with the emulator's own metrics, /emulated with the emulated series (pull mode).
 */
import * as http from "http";
import type { AddressInfo } from "net";
import { CONTENT_TYPE } from "../exposition/text";

export interface ListenAddress {
  /** Undefined: every interface. */
  host?: string;
  port: number;
}

export interface Endpoints {
  health(): object;
  ownMetrics(): Promise<{ contentType: string; body: string }>;
  emulated(): string | Buffer;
  /** An exporter host's exposition (/hosts/<host>/metrics); undefined: unknown, stopped or down (503). */
  exporter?(host: string): Buffer | undefined;
  /** Prometheus HTTP service discovery of a profile's exporter hosts (/sd/<profile>), scraped through `address`. */
  targets?(profile: string, address: string): object[];
}

export interface RunningHttpServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

const ROUTES = "/healthz, /metrics, /emulated, /sd/<profile>, /hosts/<host>/metrics";
const HOST_METRICS = /^\/hosts\/([^/]+)\/metrics$/;
const SERVICE_DISCOVERY = /^\/sd\/([a-z]+)$/;

export async function startHttpServer(listen: ListenAddress, endpoints: Endpoints, log: (line: string) => void): Promise<RunningHttpServer> {
  const server = http.createServer((req, res) => {
    void handle(req, res, endpoints).catch((err) => {
      log(`GET ${req.url} failed: ${(err as Error).message}`);
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
      res.end("internal error\n");
    });
  });
  // A scrape must never keep the process alive on shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      const where = `${listen.host ?? "*"}:${listen.port}`;
      reject(new Error(err.code === "EADDRINUSE" ? `cannot listen on ${where}: the port is in use` : `cannot listen on ${where}: ${err.message}`));
    });
    server.listen(listen.port, listen.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = listen.host && listen.host !== "0.0.0.0" && listen.host !== "::" ? listen.host : "127.0.0.1";
  return {
    port,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, endpoints: Endpoints): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain" });
    res.end("only GET and HEAD\n");
    return;
  }
  const hostPath = HOST_METRICS.exec(path);
  if (hostPath && endpoints.exporter) {
    const body = endpoints.exporter(decodeURIComponent(hostPath[1]));
    if (body) send(res, req, 200, CONTENT_TYPE, body);
    else send(res, req, 503, "text/plain", "this emulated host is not running now\n");
    return;
  }
  const sdPath = SERVICE_DISCOVERY.exec(path);
  if (sdPath && endpoints.targets) {
    send(res, req, 200, "application/json", JSON.stringify(endpoints.targets(sdPath[1], req.headers.host ?? "127.0.0.1")) + "\n");
    return;
  }
  switch (path) {
    case "/healthz":
      send(res, req, 200, "application/json", JSON.stringify(endpoints.health()) + "\n");
      return;
    case "/metrics": {
      const { contentType, body } = await endpoints.ownMetrics();
      send(res, req, 200, contentType, body);
      return;
    }
    case "/emulated":
      send(res, req, 200, CONTENT_TYPE, endpoints.emulated());
      return;
    case "/":
      send(res, req, 200, "text/plain", `promemu: ${ROUTES}\n`);
      return;
    default:
      send(res, req, 404, "text/plain", `not found; try ${ROUTES}\n`);
  }
}

function send(res: http.ServerResponse, req: http.IncomingMessage, status: number, contentType: string, body: string | Buffer): void {
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body) });
  res.end(req.method === "HEAD" ? undefined : body);
}
