/**
 * One fact, one place (issue 15): each Azure or Pulumi fact has one home that the program, the engine
 * and the policy pack import. Where the pack must keep a copy (it is published alone and imports
 * nothing outside policy/), the copy is byte-identical and this file fails when it drifts. Each
 * `describe` also looks for a second, hand-written copy of its fact anywhere in the sources.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { GATEWAY_SKUS, TIERS } from "../components/api-management/tiers";
import { publicProductPolicy } from "../components/api-management/policies";
import {
  FLEX_INSTANCE_MEMORY,
  FLEX_MAXIMUM_INSTANCE_COUNT,
  FLEX_REJECTED_SETTINGS,
  FLEX_REJECTED_SETTING_PREFIX,
  FLEX_REJECTED_SITE_CONFIG,
} from "../components/function-app/flex-facts";
import { checkFlexSettings } from "../components/function-app/flex-rules";
import { planSchema } from "../engine/plan-format";
import { parsePlan } from "../engine/policy-runner";
import { BUILT_IN_DATA_ROLES } from "../engine/twin/rbac";
import { AZURE_ROLES, COSMOS_DATA_ROLES } from "../components/core/azure-roles";
import { stackConfigSchema } from "../lib/config";
import { BuiltInRole, CosmosDataRole } from "../components/core/roles";
import { flexSiteProblems } from "../policy/rules/flex";
import { COSMOS_DATA_ROLE, ROLE, roleName } from "../policy/rules/identity";

const ROOT = path.resolve(__dirname, "..");
const read = (file: string): string => readFileSync(path.join(ROOT, file), "utf8");

/** Every TypeScript source of the project (not tests, fixtures or dependencies), relative to the root. */
function sources(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(ROOT, dir))) {
      const rel = path.join(dir, entry);
      if (["node_modules", ".build", ".plan", "dist"].includes(entry)) continue;
      if (statSync(path.join(ROOT, rel)).isDirectory()) walk(rel);
      else if (rel.endsWith(".ts")) out.push(rel.split(path.sep).join("/"));
    }
  };
  for (const dir of ["lib", "components", "composition", "engine", "policy", "bootstrap", "functions-src", "scripts"]) walk(dir);
  out.push("index.ts");
  return out;
}
const SOURCES = sources();
const filesSpelling = (text: string): string[] => SOURCES.filter((f) => read(f).includes(text));

/** Facts modules the pack keeps a copy of: home → copy. */
const COPIES: readonly (readonly [string, string])[] = [
  ["components/core/azure-roles.ts", "policy/rules/azure-roles.ts"],
  ["components/function-app/flex-facts.ts", "policy/rules/flex-facts.ts"],
  ["components/function-app/secret-shapes.ts", "policy/rules/secret-shapes.ts"],
];

describe("the policy pack's copies of facts modules", () => {
  it.each(COPIES)("%s and %s are byte-identical (edit one, copy it over the other)", (home, copy) => {
    expect(read(copy), `${copy} drifted from ${home}: copy ${home} over it`).toBe(read(home));
  });

  it.each(COPIES)("%s imports nothing, so its copy stands alone in the pack", (home) => {
    expect(read(home)).not.toMatch(/^\s*import\b/m);
  });
});

describe("built-in roles: components/core/azure-roles.ts", () => {
  const guids = [...Object.values(AZURE_ROLES), ...Object.values(COSMOS_DATA_ROLES)].map((r) => r.id);
  // The twin maps each role to its data actions (engine/twin/rbac.ts); its names are tied below.
  const tiedElsewhere = new Set(["components/core/azure-roles.ts", "policy/rules/azure-roles.ts", "engine/twin/rbac.ts"]);

  it.each(guids)("no source spells role id %s outside the roles table", (guid) => {
    expect(filesSpelling(guid).filter((f) => !tiedElsewhere.has(f))).toEqual([]);
  });

  it("the program's grantable roles, the pack's roles and Cosmos data roles all come from the table", () => {
    for (const [key, id] of Object.entries(BuiltInRole)) expect(AZURE_ROLES[key as keyof typeof AZURE_ROLES].id).toBe(id);
    expect(ROLE).toEqual(Object.fromEntries(Object.entries(AZURE_ROLES).map(([k, r]) => [k, r.id])));
    expect(COSMOS_DATA_ROLE).toEqual(CosmosDataRole);
    for (const r of [...Object.values(AZURE_ROLES), ...Object.values(COSMOS_DATA_ROLES)]) expect(roleName(r.id)).toBe(r.name);
  });

  it("the twin's role table names every role as the table does", () => {
    for (const [guid, role] of Object.entries(BUILT_IN_DATA_ROLES)) {
      expect(guids, `twin role ${guid} (${role.name}) is missing from components/core/azure-roles.ts`).toContain(guid);
      expect(roleName(guid)).toBe(role.name);
    }
  });
});

describe("Flex Consumption facts: components/function-app/flex-facts.ts", () => {
  const rejected = [...Object.keys(FLEX_REJECTED_SETTINGS), `${FLEX_REJECTED_SETTING_PREFIX}SHARE`];
  const sizing = { instanceMemoryMB: 2048, maximumInstanceCount: 100, alwaysReady: [] };

  it.each(rejected)("the component and the pack both refuse app setting %s", (name) => {
    expect(checkFlexSettings({ settings: { [name]: "x" }, sizing }).map((p) => p.key)).toEqual([name]);
    expect(flexSiteProblems({ siteConfig: { appSettings: [{ name, value: "x" }] } } as never)).toHaveLength(1);
  });

  it.each(Object.keys(FLEX_REJECTED_SITE_CONFIG))("the component and the pack both refuse siteConfig.%s", (key) => {
    expect(checkFlexSettings({ settings: {}, sizing, siteConfigExtras: { [key]: "x" } }).map((p) => p.key)).toEqual([`siteConfig.${key}`]);
    expect(flexSiteProblems({ siteConfig: { [key]: "x" } } as never)).toHaveLength(1);
  });

  const services = stackConfigSchema.shape.services;
  const sized = (s: Record<string, unknown>): boolean => services.safeParse({ orders: s }).success;

  it("the stack config accepts exactly the Flex instance sizes the component checks", () => {
    for (const m of FLEX_INSTANCE_MEMORY) expect(sized({ instanceMemoryMB: m })).toBe(true);
    for (const m of [256, 1024, 1536, 8192]) expect(sized({ instanceMemoryMB: m })).toBe(false);
    for (const m of FLEX_INSTANCE_MEMORY) expect(checkFlexSettings({ settings: {}, sizing: { ...sizing, instanceMemoryMB: m } })).toEqual([]);
  });

  it("the stack config's maximumInstanceCount bounds are the component's", () => {
    const { min, max } = FLEX_MAXIMUM_INSTANCE_COUNT;
    expect([min - 1, min, max, max + 1].map((n) => sized({ maximumInstanceCount: n }))).toEqual([false, true, true, false]);
  });

  it("no other source writes the instance sizes out", () => {
    expect(filesSpelling("[512, 2048, 4096]")).toEqual(["components/function-app/flex-facts.ts", "policy/rules/flex-facts.ts"]);
  });
});

describe("API Management tiers: components/api-management/tiers.ts", () => {
  const apim = stackConfigSchema.shape.apiManagement;
  const gateway = (o: Record<string, unknown>) => ({ publisherName: "p", publisherEmail: "p@contoso.com", ...o });

  it("the stack config accepts exactly the tiers the table describes", () => {
    expect(apim.shape.sku.unwrap().options).toEqual([...GATEWAY_SKUS]);
    expect(apim.safeParse(gateway({ sku: "Premium" })).success).toBe(false);
    expect(apim.safeParse(gateway({ capacity: Math.max(...GATEWAY_SKUS.map((s) => TIERS[s].maxCapacity)) + 1 })).success).toBe(false);
  });

  it.each(GATEWAY_SKUS)("%s: the public product uses rate-limit-by-key exactly when the tier runs it", (sku) => {
    const doc = publicProductPolicy(sku, { rateLimit: { calls: 1, renewalPeriodSeconds: 60 }, quota: { calls: 1, renewalPeriodSeconds: 3600 }, rateLimitKey: "subscription" });
    expect(doc.policies.includes("rate-limit-by-key")).toBe(!("rate-limit-by-key" in TIERS[sku].unsupportedPolicies));
  });

  it("no other source lists the tiers (spells every tier name as a string, in any shape: a tuple, an enum object, a union)", () => {
    const spellsEveryTier = (f: string): boolean => ["Consumption", "BasicV2", "StandardV2"].every((sku) => new RegExp(`["'\`]${sku}["'\`]`).test(read(f)));
    expect(SOURCES.filter(spellsEveryTier)).toEqual(["components/api-management/tiers.ts"]);
  });
});

describe("Pulumi's unknown-value marker", () => {
  it("the engine's marker is @pulumi/pulumi's, and @pulumi/policy reads the same one", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const proxy = require("@pulumi/policy/proxy") as { unknownStringValue: string };
    expect(proxy.unknownStringValue).toBe(pulumi.runtime.unknownValue);
  });

  it("no source or test writes the marker out", () => {
    const tests: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(path.join(ROOT, dir))) {
        const rel = `${dir}/${e}`;
        if (statSync(path.join(ROOT, rel)).isDirectory()) walk(rel);
        else if (rel.endsWith(".ts")) tests.push(rel);
      }
    };
    walk("test");
    const marker = ["04da6b54", "80e4", "46f7", "96ec", "b56ff0331ba9"].join("-");
    expect([...SOURCES, ...tests].filter((f) => read(f).includes(marker))).toEqual([]);
  });

  it('the plan\'s readable "[unknown]" is defined in engine/plan-format.ts and compared nowhere else', () => {
    expect(SOURCES.filter((f) => /(?:=|return|case)\s*"\[unknown\]"/.test(read(f)))).toEqual(["engine/plan-format.ts"]);
  });
});

describe("the plan's shape: engine/plan-format.ts", () => {
  it("one schema: no other source declares a plan resource's fields to zod", () => {
    expect(SOURCES.filter((f) => /propertyDependencies:\s*z\./.test(read(f)))).toEqual(["engine/plan-format.ts"]);
  });

  it("the policy runner reads plan files with it", () => {
    const plan = JSON.parse(read("test/fixtures/plans/policy-compliant.json")) as unknown;
    expect(parsePlan(plan, "x")).toEqual(planSchema.parse(plan));
    expect(() => parsePlan({ ...(plan as object), resources: [{ urn: "u" }] }, "x")).toThrow(/resources\.0/);
  });
});
