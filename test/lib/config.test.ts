import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readStackFiles } from "../../engine/plan";
import { ConfigError, PROJECT, PROVIDER_NAMESPACES, parseStackConfig } from "../../lib/config";

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
    expect(problems[0]!.message).toBe('got the string "mars"; expected an Azure region name such as "eastus" or "westeurope"');
  });

  it("rejects a known location outside allowedLocations", () => {
    const problems = problemsOf(devConfig({ location: "westeurope" }));
    expect(problems).toEqual([{ key: key("location"), message: '"westeurope" is not one of allowedLocations [eastus, eastus2]' }]);
  });

  it("rejects a missing required key", () => {
    const problems = problemsOf(devConfig({ namePrefix: undefined }));
    expect(problems).toEqual([{ key: key("namePrefix"), message: "missing; expected a string" }]);
  });

  it("rejects a value of the wrong type", () => {
    const problems = problemsOf(devConfig({ protectData: '"yes"' }));
    expect(problems).toEqual([{ key: key("protectData"), message: 'got the string "yes"; expected true or false' }]);
  });

  it("rejects a wrong nested value, naming the full path", () => {
    const services = JSON.stringify({ orders: { instanceMemoryMB: 1024 } });
    const problems = problemsOf(devConfig({ services }));
    expect(problems).toEqual([
      { key: key("services.orders.instanceMemoryMB"), message: "got the number 1024; expected 512, 2048 or 4096 (the Flex Consumption instance sizes)" },
    ]);
  });

  it("names the new key of a key that moved into a service's own section (notificationWebhookUrl)", () => {
    const problems = problemsOf(devConfig({ notificationWebhookUrl: "https://hooks.contoso.com/orders" }));
    expect(problems).toEqual([
      {
        key: key("notificationWebhookUrl"),
        message: `moved: set ${key("services.notifications.settings.webhookUrl")} instead (pulumi config set --path 'services.notifications.settings.webhookUrl' <value>)`,
      },
    ]);
  });

  it("rejects an unknown key (a typo would otherwise be ignored)", () => {
    const raw = { ...devConfig(), [key("locaton")]: "eastus" };
    const problems = problemsOf(raw);
    expect(problems).toEqual([{ key: key("locaton"), message: `unknown key; did you mean ${key("location")}?` }]);
  });

  it("rejects missing required tags", () => {
    const problems = problemsOf(devConfig({ tags: JSON.stringify({ owner: "x" }) }));
    expect(problems).toEqual([{ key: key("tags"), message: "missing required tag(s) costCenter (requiredTags: [owner, costCenter])" }]);
  });

  it("rejects a bad service name with the name rule", () => {
    const problems = problemsOf(devConfig({ services: JSON.stringify({ Orders_API: {} }) }));
    expect(problems).toEqual([{ key: key("services.Orders_API"), message: "invalid name: service names are 2-16 lowercase letters or digits" }]);
  });

  it("rejects '*' CORS in prod", () => {
    const raw = readStackFiles(process.cwd(), "prod").config;
    const api = JSON.parse(raw[key("apiManagement")]!) as Record<string, unknown>;
    const problems = problemsOf({ ...raw, [key("apiManagement")]: JSON.stringify({ ...api, corsOrigins: ["*"] }) });
    expect(problems).toEqual([{ key: key("apiManagement.corsOrigins"), message: '"*" is not allowed in prod; list the origins' }]);
  });

  it("requires a declared secret to be set", () => {
    const problems = problemsOf(devConfig({ secretNames: JSON.stringify(["paymentApiKey"]) }));
    expect(problems).toEqual([{ key: key("paymentApiKey"), message: "listed in secretNames but not set; run: pulumi config set --secret paymentApiKey <value>" }]);
  });

  it("reports every problem at once", () => {
    const problems = problemsOf(devConfig({ location: "mars", namePrefix: "UPPER" }));
    expect(problems.map((p) => p.key).sort()).toEqual([key("location"), key("namePrefix")]);
  });

  it("accepts the providers' namespaces and Pulumi's own", () => {
    expect(() =>
      parseStackConfig("dev", { ...devConfig(), "azure-native:location": "eastus", "azuread:tenantId": "x", "pulumi:tags": "{}" }),
    ).not.toThrow();
  });
});

/** Sets one value at a dotted path inside the dev config's JSON-encoded sections. */
function devConfigWith(pathInKey: string, value: unknown): Record<string, string> {
  const [top, ...rest] = pathInKey.split(".");
  const raw = devConfig();
  if (rest.length === 0) return { ...raw, [key(top!)]: typeof value === "string" ? value : JSON.stringify(value) };
  const section = JSON.parse(raw[key(top!)] ?? "{}") as Record<string, unknown>;
  let node: Record<string, unknown> = section;
  for (const segment of rest.slice(0, -1)) node = (node[segment] ??= {}) as Record<string, unknown>;
  node[rest[rest.length - 1]!] = value;
  return { ...raw, [key(top!)]: JSON.stringify(section) };
}

/** Every leaf (dotted path → value) of a stack file's project config, lists counted as leaves. */
function leaves(stack: string): [string, unknown][] {
  const out: [string, unknown][] = [];
  const walk = (p: string, v: unknown): void => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) for (const [k, c] of Object.entries(v)) walk(`${p}.${k}`, c);
    else out.push([p, v]);
  };
  for (const [k, v] of Object.entries(readStackFiles(process.cwd(), stack).config)) {
    if (!k.startsWith(`${PROJECT}:`)) continue;
    let parsed: unknown = v;
    try {
      parsed = JSON.parse(v);
    } catch {
      /* a plain string */
    }
    walk(k.slice(PROJECT.length + 1), parsed);
  }
  return out;
}

describe("wrong values say what was found and what was expected (issue 13 item 9, issue 19)", () => {
  it.each([
    ["services.orders.maximumInstanceCount", "forty", 'got the string "forty"; expected a number'],
    ["services.orders.maximumInstanceCount", 40.5, "got the number 40.5; expected a whole number"],
    ["services.orders.maximumInstanceCount", 20, "got the number 20; expected at least 40 (the lowest maximum Flex Consumption accepts)"],
    ["monitoring.retentionDays", "thirty", 'got the string "thirty"; expected a number'],
    ["monitoring.availabilityTest.frequencySeconds", 100, "got the number 100; expected one of 300, 600, 900"],
    ["monitoring.actionGroup.emails", "ops@contoso.example", 'got the string "ops@contoso.example"; expected a list'],
    ["cosmos.capacityMode", "Serverless", 'got the string "Serverless"; expected one of "serverless", "autoscale"; did you mean "serverless"?'],
    ["tags.costCenter", 4711, 'got the number 4711; expected a string (quote it in YAML: "4711")'],
    ["apiManagement.rateLimit.renewalPeriodSeconds", 600, "got the number 600; expected at most 300"],
    ["network.addressSpace", "10.400.0.0/16", 'got the string "10.400.0.0/16"; expected an IPv4 CIDR such as "10.40.0.0/16"'],
  ])("%s = %j", (where, value, message) => {
    expect(problemsOf(devConfigWith(where, value))).toEqual([{ key: key(where), message }]);
  });

  it.each(["dev", "prod"])("no wrong-typed value of the %s stack is ever reported as missing", (stack) => {
    // The class: every leaf of a real stack file, replaced by a value of another type.
    const raw = readStackFiles(process.cwd(), stack).config;
    for (const [where, value] of leaves(stack)) {
      const [top, ...rest] = where.split(".");
      // Top-level strings arrive as strings whatever YAML held; every other leaf has a type to get wrong.
      if (where === "secretNames" || (rest.length === 0 && typeof value === "string")) continue;
      const wrong = typeof value === "string" ? 42 : "forty";
      let changed: Record<string, string>;
      if (rest.length === 0) changed = { ...raw, [key(top!)]: typeof wrong === "string" ? wrong : JSON.stringify(wrong) };
      else {
        const section = JSON.parse(raw[key(top!)]!) as Record<string, unknown>;
        let node = section;
        for (const s of rest.slice(0, -1)) node = node[s] as Record<string, unknown>;
        node[rest[rest.length - 1]!] = wrong;
        changed = { ...raw, [key(top!)]: JSON.stringify(section) };
      }
      let problems: { key: string; message: string }[] = [];
      try {
        parseStackConfig(stack, changed);
      } catch (e) {
        problems = [...(e as ConfigError).problems];
      }
      const mine = problems.filter((p) => p.key === key(where));
      expect(mine.length, `${where} = ${JSON.stringify(wrong)}: ${JSON.stringify(problems)}`).toBe(1);
      expect(mine[0]!.message, where).toMatch(typeof wrong === "string" ? /^got the string "forty"; expected / : /^got the number 42; expected /);
      for (const p of problems) expect(p.message, where).not.toMatch(/missing|Invalid input|received/);
    }
  });

  it.each([
    [-0.5, "got the number -0.5; expected -1 (no cap) or a positive number of GB per day"],
    [0, "got the number 0; expected -1 (no cap) or a positive number of GB per day"],
    [-2, "got the number -2; expected -1 (no cap) or a positive number of GB per day"],
  ])("refuses dailyQuotaGb %s in the schema (it used to crash the plan with a stack trace)", (gb, message) => {
    expect(problemsOf(devConfigWith("monitoring.dailyQuotaGb", gb))).toEqual([{ key: key("monitoring.dailyQuotaGb"), message }]);
  });

  it("accepts dailyQuotaGb -1 (no cap)", () => {
    expect(parseStackConfig("dev", devConfigWith("monitoring.dailyQuotaGb", -1)).monitoring.dailyQuotaGb).toBe(-1);
  });

  it("suggests the field of a misspelt nested key", () => {
    const services = JSON.stringify({ orders: { maximumInstanceCnt: 40 } });
    expect(problemsOf(devConfig({ services }))).toEqual([
      {
        key: key("services.orders.maximumInstanceCnt"),
        message: "unknown key; did you mean maximumInstanceCount? (expected one of instanceMemoryMB, maximumInstanceCount, alwaysReady, httpPerInstanceConcurrency, zoneRedundant, settings)",
      },
    ]);
  });
});

describe("config namespaces (issue 19)", () => {
  it("refuses a misspelt project namespace, suggesting the key that was meant", () => {
    const raw: Record<string, string> = { ...readStackFiles(process.cwd(), "prod").config, "serverless-platfrom:protectData": "true" };
    delete raw[key("protectData")];
    const problems = (() => {
      try {
        parseStackConfig("prod", raw);
      } catch (e) {
        return [...(e as ConfigError).problems];
      }
      throw new Error("expected a ConfigError");
    })();
    expect(problems).toEqual([
      { key: "serverless-platfrom:protectData", message: 'unknown namespace "serverless-platfrom"; did you mean serverless-platform:protectData?' },
    ]);
  });

  it("refuses a misspelt provider namespace", () => {
    expect(problemsOf({ ...devConfig(), "azure-nativ:location": "eastus" })).toEqual([
      { key: "azure-nativ:location", message: 'unknown namespace "azure-nativ"; did you mean azure-native:location?' },
    ]);
  });

  it("refuses an unrelated namespace, listing the known ones", () => {
    expect(problemsOf({ ...devConfig(), "aws:region": "us-east-1" })).toEqual([
      { key: "aws:region", message: 'unknown namespace "aws"; config keys belong to serverless-platform, azure-native, azuread, pulumi' },
    ]);
  });

  it("knows the namespace of every provider package the program depends on", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { dependencies: Record<string, string> };
    const providers = Object.keys(pkg.dependencies)
      .filter((d) => d.startsWith("@pulumi/") && !["@pulumi/pulumi", "@pulumi/policy"].includes(d))
      .map((d) => d.slice("@pulumi/".length));
    expect(providers.length).toBeGreaterThan(0);
    for (const p of providers) expect(PROVIDER_NAMESPACES).toContain(p);
  });
});

describe("tags (issue 13 item 9)", () => {
  const withTags = (tags: Record<string, unknown>, required?: string[]): Record<string, string> =>
    devConfig({ tags: JSON.stringify(tags), ...(required ? { requiredTags: JSON.stringify(required) } : {}) });

  it("checks required tags as own keys: constructor and toString are not set by every object", () => {
    expect(problemsOf(withTags({ owner: "x" }, ["owner", "constructor", "toString"]))).toEqual([
      { key: key("tags"), message: "missing required tag(s) constructor, toString (requiredTags: [owner, constructor, toString])" },
    ]);
    expect(problemsOf(devConfig({ tags: undefined, requiredTags: JSON.stringify(["constructor", "hasOwnProperty", "__defineGetter__"]) }))).toEqual([
      { key: key("tags"), message: "missing required tag(s) constructor, hasOwnProperty, __defineGetter__ (requiredTags: [constructor, hasOwnProperty, __defineGetter__])" },
    ]);
  });

  it("suggests a required tag set under a near name", () => {
    expect(problemsOf(withTags({ owner: "x", costcenter: "1" }))).toEqual([
      { key: key("tags"), message: 'missing required tag(s) costCenter (requiredTags: [owner, costCenter]); did you mean "costcenter" for "costCenter"?' },
    ]);
  });

  it("refuses a __proto__ key instead of dropping it", () => {
    expect(problemsOf({ ...devConfig(), [key("tags")]: '{"owner":"x","costCenter":"1","__proto__":"y"}' })).toEqual([
      { key: key("tags.__proto__"), message: 'the name "__proto__" cannot be used (it is not kept as data in JavaScript); rename it' },
    ]);
  });

  it("refuses names and values over Azure's limits and names with forbidden characters", () => {
    const base = { owner: "x", costCenter: "1" };
    expect(problemsOf(withTags({ ...base, ["n".repeat(129)]: "v" }))).toEqual([
      { key: key(`tags.${"n".repeat(129)}`), message: "invalid name: expected at most 128 characters (Azure's tag name limit on storage accounts)" },
    ]);
    expect(problemsOf(withTags({ ...base, long: "v".repeat(257) }))).toEqual([
      { key: key("tags.long"), message: `got the string "${"v".repeat(57)}..."; expected at most 256 characters (Azure's tag value limit)` },
    ]);
    expect(problemsOf(withTags({ ...base, "team/area": "v" }))).toEqual([
      { key: key("tags.team/area"), message: "invalid name: expected a tag name without < > % & \\ ? / (Azure refuses them in tag names)" },
    ]);
    expect(parseStackConfig("dev", withTags({ ...base, ["n".repeat(128)]: "v".repeat(256) })).tags).toHaveProperty("n".repeat(128));
  });

  it("refuses more tags than fit next to the platform's", () => {
    const many = (n: number): Record<string, string> => Object.fromEntries([["owner", "x"], ["costCenter", "1"], ...Array.from({ length: n - 2 }, (_, i) => [`t${i}`, "v"])]);
    expect(() => parseStackConfig("dev", withTags(many(47)))).not.toThrow();
    expect(problemsOf(withTags(many(48)))).toEqual([
      { key: key("tags"), message: "48 tags; at most 47 fit (Azure takes 50 tags per resource, and the platform adds environment, managedBy and up to one more); merge some into one JSON value" },
    ]);
  });

  it("applies the private DNS zones' limits in private mode", () => {
    const privateNet = (tags: Record<string, string>): Record<string, string> => ({ ...withTags(tags), [key("network")]: JSON.stringify({ mode: "private" }) });
    const many = Object.fromEntries([["owner", "x"], ["costCenter", "1"], ...Array.from({ length: 12 }, (_, i) => [`t${i}`, "v"])]);
    expect(problemsOf(privateNet(many))).toEqual([
      { key: key("tags"), message: "14 tags; at most 13 fit (private DNS zones (network.mode private) take 15 tags, and the platform adds environment, managedBy); merge some into one JSON value" },
    ]);
    expect(problemsOf(privateNet({ owner: "x", costCenter: "1", "cost center": "y" }))).toEqual([
      {
        key: key("tags.cost center"),
        message: "expected letters and digits only, starting with a letter: private DNS zones (network.mode private) refuse spaces, special characters and leading digits in tag names",
      },
    ]);
  });

  it("refuses platform tag names and names that differ in case only", () => {
    expect(problemsOf(withTags({ owner: "x", costCenter: "1", Environment: "test", Owner: "y" }))).toEqual([
      { key: key("tags.Environment"), message: '"environment" is set by the platform on every resource; remove it or use another name' },
      { key: key("tags.Owner"), message: 'same tag as "owner" (Azure tag names are case-insensitive); keep one' },
    ]);
  });
});

describe("values that passed the schema and then failed in a component are config errors (issue 13 item 9)", () => {
  const api = (changes: Record<string, unknown>, stack = "dev"): Record<string, string> => {
    const raw = readStackFiles(process.cwd(), stack).config;
    const current = JSON.parse(raw[key("apiManagement")]!) as Record<string, unknown>;
    return { ...raw, [key("apiManagement")]: JSON.stringify({ ...current, ...changes }) };
  };
  const problemsIn = (stack: string, raw: Record<string, string>): { key: string; message: string }[] => {
    try {
      parseStackConfig(stack, raw);
    } catch (e) {
      return [...(e as ConfigError).problems];
    }
    throw new Error("expected a ConfigError");
  };

  it("refuses plain-http CORS origins other than localhost, and localhost in prod", () => {
    expect(problemsOf(api({ corsOrigins: ["https://ok.example", "http://shop.example"] }))).toEqual([
      { key: key("apiManagement.corsOrigins.1"), message: 'got "http://shop.example"; expected an https:// origin (or http://localhost for development)' },
    ]);
    expect(problemsIn("prod", api({ corsOrigins: ["http://localhost:5173"] }, "prod"))).toEqual([
      { key: key("apiManagement.corsOrigins.0"), message: 'got "http://localhost:5173"; http://localhost is for development, prod lists https origins only' },
    ]);
  });

  it("refuses a per-client-IP rate limit on the Consumption tier", () => {
    expect(problemsOf(api({ rateLimitKey: "clientIp" }))).toEqual([
      { key: key("apiManagement.rateLimitKey"), message: '"clientIp" needs rate-limit-by-key, which the Consumption tier does not offer; use "subscription" or sku BasicV2/StandardV2' },
    ]);
  });

  it("closes Cosmos DB's public endpoint by default in private mode, and refuses opening it", () => {
    const privateNet = devConfig({ network: JSON.stringify({ mode: "private" }) });
    expect(parseStackConfig("dev", privateNet).cosmos.publicNetworkAccess).toBe("Disabled");
    expect(parseStackConfig("dev", devConfig()).cosmos.publicNetworkAccess).toBe("Enabled");
    expect(problemsOf({ ...privateNet, [key("cosmos")]: JSON.stringify({ publicNetworkAccess: "Enabled" }) })).toEqual([
      { key: key("cosmos.publicNetworkAccess"), message: '"Enabled" keeps the public endpoint open although network.mode is private; set "Disabled"' },
    ]);
  });
});
