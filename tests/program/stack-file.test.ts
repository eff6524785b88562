import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseStackFile, StackFileError } from "../../config/stack-file";
import { settingsFromConfig } from "../../config/settings";
import { loadStackConfig } from "../../scripts/mocked-program";

const FILE = `
encryptionsalt: v1:abc
config:
  docker:host: unix:///var/run/docker.sock
  promemu:portOffset: 100
  promemu:bindAddress: 127.0.0.1
  promemu:grafanaAdminPassword:
    secure: v1:AAAA
  promemu:alertmanager:
    enabled: true
    webhookUrl:
      secure: v1:BBBB
`;

/** Nine levels of nine aliases: 1 KB that expands to a billion values when walked. */
const BILLION_LAUGHS = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
  .concat(Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(", ")}]`))
  .join("\n");

describe("Pulumi.<stack>.yaml", () => {
  it("hands the program its own keys as Pulumi does, without the encrypted values", () => {
    expect(parseStackFile(FILE, "Pulumi.x.yaml", "promemu")).toEqual({
      entries: { "promemu:portOffset": "100", "promemu:bindAddress": "127.0.0.1", "promemu:alertmanager": '{"enabled":true}' },
      secretPaths: [["grafanaAdminPassword"], ["alertmanager", "webhookUrl"]],
    });
  });

  it("puts stand-ins that pass each key's validation where the plan needs values, and marks their keys secret", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "promemu-sf-")), "Pulumi.x.yaml");
    fs.writeFileSync(file, FILE);
    const config = loadStackConfig(file, "promemu");
    expect(config.secretKeys).toEqual(["promemu:alertmanager", "promemu:grafanaAdminPassword"]);
    expect(config.values["promemu:grafanaAdminPassword"]).toBe("secret-stand-in-value");
    expect(JSON.parse(config.values["promemu:alertmanager"])).toEqual({ enabled: true, webhookUrl: "https://secret.invalid/stand-in" });
    expect(() => settingsFromConfig(config.values, "Pulumi.x.yaml", "promemu", config.secretKeys)).not.toThrow();
  });

  it("names the file when it is not YAML or not a stack configuration", () => {
    expect(() => parseStackFile("config: [", "Pulumi.bad.yaml", "promemu")).toThrow(StackFileError);
    expect(() => parseStackFile("config: [", "Pulumi.bad.yaml", "promemu")).toThrow(/^Pulumi\.bad\.yaml is not valid YAML/);
    expect(() => parseStackFile("config: [1]", "Pulumi.bad.yaml", "promemu")).toThrow("Pulumi.bad.yaml: 'config' must be a mapping");
    // Bounded: nested aliases are refused before anything walks their expansion.
    expect(() => parseStackFile(`${BILLION_LAUGHS}\nconfig:\n  promemu:emulator: {set: *i}\n`, "Pulumi.big.yaml", "promemu")).toThrow(
      /^Pulumi\.big\.yaml is not valid YAML: the document expands to more than 1,000,000 values/,
    );
  });
});
