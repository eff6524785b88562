import { describeWith, startAlertmanager, startPrometheus, startPushgateway, stopAllServers } from "./servers";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

describeWith(["prometheus", "pushgateway", "alertmanager"])("real servers harness", () => {
  afterAll(stopAllServers);
  it("starts and stops the three servers on free loopback ports", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "harness-"));
    fs.writeFileSync(path.join(dir, "p.yml"), "global: {scrape_interval: 15s}\n");
    fs.writeFileSync(path.join(dir, "am.yml"), "route: {receiver: r}\nreceivers: [{name: r}]\n");
    const [pg, prom, am] = await Promise.all([
      startPushgateway(),
      startPrometheus({ configFile: path.join(dir, "p.yml") }),
      startAlertmanager({ configFile: path.join(dir, "am.yml") }),
    ]);
    expect(new Set([pg.port, prom.port, am.port]).size).toBe(3);
    for (const s of [pg, prom, am]) expect((await fetch(`${s.url}/-/healthy`)).status).toBe(200);
    await Promise.all([pg.stop(), prom.stop(), am.stop()]);
    expect(pg.process.exitCode !== null || pg.process.signalCode !== null).toBe(true);
    await expect(fetch(`${pg.url}/-/healthy`)).rejects.toThrow();
  });
});
