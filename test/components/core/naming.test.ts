import { describe, expect, it } from "vitest";
import { NAME_RULES, NameError, physicalName, uniqueSuffix, validateName, type NameKind } from "../../../components/core/naming";

const dev = { prefix: "contoso", environment: "dev" };
const prod = { prefix: "contoso", environment: "prod" };
const kinds = Object.keys(NAME_RULES) as NameKind[];

describe("physicalName", () => {
  it.each([
    ["storageAccount", ["orders", "host"], /^contosoordershostd[a-z0-9]{5}$/],
    ["keyVault", ["platform"], /^contoso-platform-d-[a-z0-9]{5}$/],
    ["cosmosAccount", ["platform"], /^contoso-platform-d-[a-z0-9]{5}$/],
    ["functionApp", ["orders"], /^contoso-orders-d-[a-z0-9]{5}$/],
    ["appServicePlan", ["orders"], /^contoso-orders-d$/],
    ["resourceGroup", ["platform"], /^contoso-platform-d$/],
    ["queue", ["Order Created"], /^contoso-order-created-d$/],
  ] as const)("%s %j", (kind, parts, expected) => {
    expect(physicalName(kind, dev, ...parts)).toMatch(expected);
  });

  it("is deterministic and differs per environment", () => {
    expect(physicalName("storageAccount", dev, "orders")).toBe(physicalName("storageAccount", dev, "orders"));
    expect(physicalName("storageAccount", dev, "orders")).not.toBe(physicalName("storageAccount", prod, "orders"));
    expect(uniqueSuffix(dev, "x")).toHaveLength(5);
  });

  // Every kind, with a logical name far longer than its limit: the result must be within the limit,
  // in its charset, and distinct from a sibling that shares the long start.
  it.each(kinds)("%s stays within its limits for long names", (kind) => {
    const rule = NAME_RULES[kind];
    const long = "notifications".repeat(30);
    const a = physicalName(kind, dev, long, "alpha");
    const b = physicalName(kind, dev, long, "beta");
    expect(a.length).toBeLessThanOrEqual(rule.max);
    expect(a.length).toBeGreaterThanOrEqual(rule.min);
    expect(validateName(kind, a)).toBeUndefined();
    expect(a).not.toBe(b);
  });

  it.each(kinds)("%s accepts a short name", (kind) => {
    const name = physicalName(kind, { prefix: "ab", environment: "dev" }, "x");
    expect(validateName(kind, name)).toBeUndefined();
  });

  it("rejects a prefix that leaves no room", () => {
    expect(() => physicalName("actionGroupShort", { prefix: "abcdefgh", environment: "dev" }, "x")).not.toThrow();
    expect(() => physicalName("actionGroupShort", { prefix: "abcdefghij", environment: "dev" }, "x")).toThrow(NameError);
  });
});

describe("validateName", () => {
  it.each([
    ["storageAccount", "ab", /length 2 is outside 3-24/],
    ["storageAccount", "a".repeat(25), /length 25 is outside 3-24/],
    ["storageAccount", "Has-Upper", /outside \[a-z0-9\]/],
    ["keyVault", "1vault", /must start with a letter/],
    ["keyVault", "my--vault", /consecutive hyphens/],
    ["keyVault", "a".repeat(25), /outside 3-24/],
    ["cosmosAccount", "a".repeat(45), /outside 3-44/],
    ["cosmosAccount", "-cosmos", /must not start or end with a hyphen/],
    ["functionApp", "a".repeat(61), /outside 2-60/],
    ["apiManagement", "9api", /must start with a letter/],
    ["apiManagement", "a".repeat(51), /outside 1-50/],
    ["logAnalytics", "abc", /outside 4-63/],
    ["eventGridTopic", "ab", /outside 3-50/],
    ["queue", "a--b", /consecutive hyphens/],
    ["queue", "Queue", /outside \[a-z0-9-\]/],
    ["blobContainer", "a".repeat(64), /outside 3-63/],
    ["userAssignedIdentity", "ab", /outside 3-128/],
    ["actionGroupShort", "a".repeat(13), /outside 1-12/],
  ] as const)("%s %j is invalid", (kind, name, reason) => {
    expect(validateName(kind, name)).toMatch(reason);
  });

  it.each([
    ["storageAccount", "abc"],
    ["storageAccount", "a".repeat(24)],
    ["keyVault", "a".repeat(24)],
    ["cosmosAccount", "a".repeat(44)],
    ["functionApp", "a".repeat(60)],
    ["apiManagement", "a".repeat(50)],
    ["queue", "order-created"],
  ] as const)("%s %j is valid", (kind, name) => {
    expect(validateName(kind, name)).toBeUndefined();
  });
});
