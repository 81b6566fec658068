import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readStackFiles } from "../../engine/plan";
import { ConfigError, PROJECT, parseStackConfig } from "../../lib/config";

const key = (k: string): string => `${PROJECT}:${k}`;

/** The dev stack file as the engine passes it, with `changes` applied (undefined removes a key). */
function devConfig(changes: Record<string, string | undefined> = {}): Record<string, string> {
  const raw = { ...readStackFiles(process.cwd(), "dev").config };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete raw[key(k)];
    else raw[key(k)] = v;
  }
  return raw;
}

function problemsOf(raw: Record<string, string>): { key: string; message: string }[] {
  try {
    parseStackConfig("dev", raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return [...(e as ConfigError).problems];
  }
  throw new Error("expected a ConfigError");
}

describe("stack configuration", () => {
  it.each(["dev", "prod"])("the %s stack file is valid", (stack) => {
    const config = parseStackConfig(stack, readStackFiles(process.cwd(), stack).config);
    expect(config.environment).toBe(stack);
    expect(config.allowedLocations).toContain(config.location);
    // Every configured service has a folder with a manifest (the composition checks the rest).
    expect(Object.keys(config.services).length).toBeGreaterThanOrEqual(3);
    for (const name of Object.keys(config.services)) expect(existsSync(`functions-src/${name}/service.ts`), name).toBe(true);
  });

  it("applies documented defaults", () => {
    const config = parseStackConfig("dev", devConfig({ cosmos: undefined }));
    expect(config.cosmos).toEqual({
      capacityMode: "serverless",
      backupTier: "Continuous7Days",
      zoneRedundant: false,
      publicNetworkAccess: "Enabled",
    });
    expect(config.services.orders?.alwaysReady).toEqual([]);
  });

  it("rejects an unknown location, naming the key and the expectation", () => {
    const problems = problemsOf(devConfig({ location: "mars" }));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.key).toBe(key("location"));
    expect(problems[0]!.message).toMatch(/expected an Azure region name.*"mars"/);
  });

  it("rejects a known location outside allowedLocations", () => {
    const problems = problemsOf(devConfig({ location: "westeurope" }));
    expect(problems).toEqual([{ key: key("location"), message: expect.stringMatching(/not one of allowedLocations \[eastus, eastus2\]/) }]);
  });

  it("rejects a missing required key", () => {
    const problems = problemsOf(devConfig({ namePrefix: undefined }));
    expect(problems).toEqual([{ key: key("namePrefix"), message: expect.stringMatching(/^missing; expected string/) }]);
  });

  it("rejects a value of the wrong type", () => {
    const problems = problemsOf(devConfig({ protectData: '"yes"' }));
    expect(problems).toEqual([{ key: key("protectData"), message: expect.stringMatching(/expected boolean/) }]);
  });

  it("rejects a wrong nested value, naming the full path", () => {
    const services = JSON.stringify({ orders: { instanceMemoryMB: 1024 } });
    const problems = problemsOf(devConfig({ services }));
    expect(problems).toEqual([
      { key: key("services.orders.instanceMemoryMB"), message: expect.stringMatching(/512, 2048 or 4096/) },
    ]);
  });

  it("rejects an unknown key (a typo would otherwise be ignored)", () => {
    const raw = { ...devConfig(), [key("locaton")]: "eastus" };
    const problems = problemsOf(raw);
    expect(problems[0]!.key).toBe(key("locaton"));
    expect(problems[0]!.message).toMatch(/unknown key/);
  });

  it("rejects missing required tags", () => {
    const problems = problemsOf(devConfig({ tags: JSON.stringify({ owner: "x" }) }));
    expect(problems).toEqual([{ key: key("tags"), message: expect.stringMatching(/missing required tag\(s\) costCenter/) }]);
  });

  it("rejects a bad service name with the name rule", () => {
    const problems = problemsOf(devConfig({ services: JSON.stringify({ Orders_API: {} }) }));
    expect(problems[0]!.key).toBe(key("services.Orders_API"));
    expect(problems[0]!.message).toMatch(/2-16 lowercase letters or digits/);
  });

  it("rejects '*' CORS in prod", () => {
    const raw = readStackFiles(process.cwd(), "prod").config;
    const api = JSON.parse(raw[key("apiManagement")]!) as Record<string, unknown>;
    const problems = problemsOf({ ...raw, [key("apiManagement")]: JSON.stringify({ ...api, corsOrigins: ["*"] }) });
    expect(problems).toEqual([{ key: key("apiManagement.corsOrigins"), message: expect.stringMatching(/not allowed in prod/) }]);
  });

  it("requires a declared secret to be set", () => {
    const problems = problemsOf(devConfig({ secretNames: JSON.stringify(["paymentApiKey"]) }));
    expect(problems).toEqual([{ key: key("paymentApiKey"), message: expect.stringMatching(/pulumi config set --secret paymentApiKey/) }]);
  });

  it("reports every problem at once", () => {
    const problems = problemsOf(devConfig({ location: "mars", namePrefix: "UPPER" }));
    expect(problems.map((p) => p.key).sort()).toEqual([key("location"), key("namePrefix")]);
  });

  it("ignores other namespaces (provider config)", () => {
    expect(() => parseStackConfig("dev", { ...devConfig(), "azure-native:location": "eastus" })).not.toThrow();
  });
});
