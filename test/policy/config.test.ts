/**
 * The pack's folder and per-stack configs: what `pulumi preview --policy-pack policy
 * --policy-pack-config policy/config.<stack>.json` needs, and enforcement that matches the catalog.
 */
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { policies, prodOnlyPolicyNames } from "../../policy/rules";
import { effectiveLevel, policyProperties, readPolicyConfigFile, validatePolicyConfig } from "../../engine/policy-runner";

const ROOT = path.resolve(__dirname, "../..");
const POLICY = path.join(ROOT, "policy");
const CATALOG_PROD_ONLY = ["web-public-access", "plan-zr", "st-network", "cosmos-public", "cosmos-backup", "cosmos-zr", "cosmos-sla", "kv-network"];
/** Issue 14's rules that are mandatory in prod and advisory in dev. */
const ISSUE_14_PROD_ONLY = [
  "apim-cors",
  "kv-secret-expiry",
  "eg-public-access",
  "appi-public-network",
  "law-public-network",
  "law-retention",
  "eg-dead-letter",
  "st-replication",
  "apim-api-subscription",
  "data-delete-lock",
];

function stackConfig(stack: string): Record<string, unknown> {
  const doc = parseYaml(readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
  return doc.config;
}

describe("policy pack folder", () => {
  it("has PulumiPolicy.yaml with the nodejs runtime", () => {
    const manifest = parseYaml(readFileSync(path.join(POLICY, "PulumiPolicy.yaml"), "utf8")) as { runtime: unknown; name: unknown };
    expect(manifest.runtime).toBe("nodejs");
    expect(manifest.name).toBe("serverless-platform");
  });

  it("has a package.json with a version and the same dependency ranges as the project", () => {
    const pack = JSON.parse(readFileSync(path.join(POLICY, "package.json"), "utf8")) as { version: string; dependencies: Record<string, string> };
    const root = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(pack.version).toMatch(/^\d+\.\d+\.\d+$/);
    for (const dep of ["@pulumi/policy", "@pulumi/pulumi", "@pulumi/azure-native"]) expect(pack.dependencies[dep], dep).toBe(root.dependencies[dep]);
  });

  it("constructs the PolicyPack only in policy/index.ts, and imports nothing outside policy/", () => {
    const files = (readdirSync(POLICY, { recursive: true }) as string[]).filter((f) => f.endsWith(".ts"));
    for (const f of files) {
      const text = readFileSync(path.join(POLICY, f), "utf8");
      if (f !== "index.ts") expect(text, f).not.toMatch(/^\s*(?:const \w+ = )?new PolicyPack\(/m);
      expect(text, f).not.toMatch(/from "\.\.\/\.\.\/|from "\.\.\/(lib|components|engine)/);
    }
    expect(readFileSync(path.join(POLICY, "index.ts"), "utf8")).toMatch(/new PolicyPack\("serverless-platform"/);
  });
});

describe.each(["dev", "prod"])("policy/config.%s.json", (stack) => {
  const config = readPolicyConfigFile(path.join(POLICY, `config.${stack}.json`));

  it("fits the pack (known policies, properties within each schema)", () => {
    expect(() => validatePolicyConfig(config)).not.toThrow();
  });

  it("makes the catalog's (prod) rules mandatory in prod and advisory in dev", () => {
    expect([...prodOnlyPolicyNames].sort()).toEqual([...CATALOG_PROD_ONLY, ...ISSUE_14_PROD_ONLY].sort());
    for (const name of prodOnlyPolicyNames) {
      const p = policies.find((x) => x.name === name)!;
      expect(effectiveLevel(p, config), name).toBe(stack === "prod" ? "mandatory" : "advisory");
    }
  });

  it("leaves every other rule at its own level", () => {
    for (const p of policies.filter((x) => !prodOnlyPolicyNames.includes(x.name))) {
      expect(effectiveLevel(p, config), p.name).toBe(p.enforcementLevel);
    }
  });

  it("requires the stack's required tags and allows exactly the stack's regions", () => {
    const stackCfg = stackConfig(stack);
    const tags = policyProperties(policies.find((p) => p.name === "tags-required")!, config).requiredTags as string[];
    expect(tags).toEqual(expect.arrayContaining(stackCfg["serverless-platform:requiredTags"] as string[]));
    // The platform's tag helper always adds these two.
    expect(tags).toEqual(expect.arrayContaining(["environment", "managedBy"]));
    const regions = policyProperties(policies.find((p) => p.name === "locations-allowed")!, config).allowedLocations as string[];
    expect(regions).toEqual(stackCfg["serverless-platform:allowedLocations"]);
  });

  it("accepts firewall rules on Cosmos DB only in dev", () => {
    const props = policyProperties(policies.find((p) => p.name === "cosmos-public")!, config);
    expect(props.allowFirewallRules).toBe(stack === "dev");
  });
});
