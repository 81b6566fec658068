import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT, parseStackConfig } from "../../lib/config";
import { testConfig } from "../helpers/plan";

const stackConfig = (stack: string) => {
  const doc = parse(readFileSync(path.join(__dirname, "../..", `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
  const raw = Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
  return parseStackConfig(stack, raw);
};

describe("network config", () => {
  it("defaults to public with the documented address space", () => {
    expect(testConfig().network).toEqual({ mode: "public", addressSpace: "10.40.0.0/16" });
  });

  it("takes private mode and subnet prefixes", () => {
    expect(testConfig({ network: { mode: "private", appsSubnetPrefix: "10.40.4.0/23" } }).network).toEqual({
      mode: "private",
      addressSpace: "10.40.0.0/16",
      appsSubnetPrefix: "10.40.4.0/23",
    });
  });

  it.each([
    [{ mode: "vnet" }, `${PROJECT}:network.mode`],
    [{ addressSpace: "10.40.0.0" }, `${PROJECT}:network.addressSpace`],
    [{ subnets: [] }, `${PROJECT}:network`],
  ])("refuses %j naming the key", (network, key) => {
    expect(() => testConfig({ network })).toThrow(key);
  });

  it("prod is private (an always-on cost), dev stays public", () => {
    expect(stackConfig("prod").network.mode).toBe("private");
    expect(stackConfig("prod").cosmos.publicNetworkAccess).toBe("Disabled");
    expect(stackConfig("dev").network.mode).toBe("public");
  });
});
