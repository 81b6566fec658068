/**
 * The offline policy runner and `npm run policy`: hand-made plans in test/fixtures/plans
 * (policy-compliant.json, policy-insecure.json), per-stack enforcement, config semantics, unknown
 * values, and the CLI's exit codes and errors.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as web from "@pulumi/azure-native/web";
import type { PolicyResource, ResourceValidationArgs } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { runPolicyCli } from "../../engine/cli/policy";
import type { Plan, PlannedResource } from "../../engine/plan-format";
import {
  PlanFileError,
  PolicyConfigError,
  PolicyRunError,
  durationSeconds,
  evaluatePolicies,
  formatPolicyTable,
  parsePlan,
  readPlanFile,
  validatePolicyConfig,
} from "../../engine/policy-runner";
import { NotApplicable, notApplicable } from "../../engine/policy-run/analyzer-args";
import { createPolicies } from "../../policy/rules";
import { resourcePolicy, stackPolicy } from "../../policy/rules/common";

const ROOT = path.resolve(__dirname, "../..");
const FIXTURES = path.join(ROOT, "test/fixtures/plans");
const COMPLIANT = path.join(FIXTURES, "policy-compliant.json");
const INSECURE = path.join(FIXTURES, "policy-insecure.json");

/** The pack with the Node.js end-of-life clock pinned, so verdicts do not drift with the calendar. */
const pinned = createPolicies({ now: () => new Date("2026-06-01T00:00:00Z") });

const INSECURE_RULES = [
  "apim-backend-auth",
  "apim-operation-authz",
  "apim-protocols",
  "appi-public-network",
  "cosmos-data-role-container-scope",
  "cosmos-data-scope",
  "cosmos-local-auth",
  "data-delete-lock",
  "diag-audit-logs",
  "diag-to-law",
  "eg-public-access",
  "eventgrid-topic-input-schema",
  "flex-unsupported-settings",
  "flex-zone-redundant-always-ready",
  "func-identity-least-privilege",
  "func-kv-refs",
  "func-node-version",
  "func-runtime-version-format",
  "kv-purge",
  "law-local-auth",
  "law-public-network",
  "locations-allowed",
  "no-plaintext-secrets",
  "physical-name-limits",
  "rbac-privileged",
  "st-blob-public",
  "st-cross-tenant",
  "storage-settings-private-endpoints",
  "tags-required",
  "web-basic-auth-off",
  "web-https-only",
  "web-min-tls",
];

function edit(plan: Plan, name: string, change: (r: PlannedResource & { inputs: Record<string, unknown> }) => void): Plan {
  const copy = structuredClone(plan) as Plan;
  const r = copy.resources.find((x) => x.name === name);
  if (!r) throw new Error(`no resource ${name}`);
  change(r as PlannedResource & { inputs: Record<string, unknown> });
  return copy;
}

function capture(): { io: { out: (t: string) => void; err: (t: string) => void }; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return { io: { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) }, out: () => out, err: () => err };
}

describe("evaluatePolicies on hand-made plans", () => {
  const compliant = readPlanFile(COMPLIANT);
  const insecure = readPlanFile(INSECURE);

  it("finds nothing in the compliant plan under the prod config", () => {
    const report = evaluatePolicies(compliant, { stack: "prod", policies: pinned });
    expect(report.violations).toEqual([]);
    expect(report).toMatchObject({ project: "serverless-platform", stack: "prod", configSource: path.join("policy", "config.prod.json"), mandatory: 0, advisory: 0 });
    expect(report.policies).toHaveLength(pinned.length);
    expect(report.resourcesEvaluated).toBe(compliant.resources.filter((r) => r.custom).length);
  });

  it("names every broken rule in the insecure plan, on the resource that breaks it", () => {
    const report = evaluatePolicies(insecure, { stack: "prod", policies: pinned });
    expect([...new Set(report.violations.map((v) => v.policy))].sort()).toEqual(INSECURE_RULES);
    expect(report.violations.every((v) => v.enforcementLevel === "mandatory")).toBe(true);
    expect(report.violations.find((v) => v.policy === "func-identity-least-privilege")).toMatchObject({
      type: "azure-native:authorization:RoleAssignment",
      name: "orders-owner",
      urn: "urn:pulumi:prod::serverless-platform::azure-native:authorization:RoleAssignment::orders-owner",
      message: expect.stringMatching(/gives Owner to the identity of function app "orders-app"/),
    });
    expect(report.violations.find((v) => v.policy === "locations-allowed")).toMatchObject({ name: "platform", type: "azure-native:resources:ResourceGroup" });
  });

  it("makes prod-only rules advisory in dev (config.dev.json) and mandatory in prod", () => {
    const open = edit(compliant, "cosmos", (r) => (r.inputs.publicNetworkAccess = "Enabled"));
    const devPlan = { ...open, stack: "dev" };
    const prod = evaluatePolicies(open, { stack: "prod", policies: pinned });
    const dev = evaluatePolicies(devPlan, { stack: "dev", policies: pinned });
    expect(prod.violations.map((v) => [v.policy, v.enforcementLevel])).toEqual([["cosmos-public", "mandatory"]]);
    expect(dev.violations.map((v) => [v.policy, v.enforcementLevel])).toEqual([["cosmos-public", "advisory"]]);
    expect(dev.configSource).toBe(path.join("policy", "config.dev.json"));
  });

  it("applies the dev config's firewall allowance for Cosmos DB", () => {
    const firewalled = edit(compliant, "cosmos", (r) => {
      r.inputs.publicNetworkAccess = "Enabled";
      r.inputs.ipRules = [{ ipAddressOrRange: "203.0.113.0/24" }];
    });
    expect(evaluatePolicies({ ...firewalled, stack: "dev" }, { stack: "dev", policies: pinned }).violations).toEqual([]);
    expect(evaluatePolicies(firewalled, { stack: "prod", policies: pinned }).mandatory).toBe(1);
  });

  it("uses the policies' own levels for a stack without a config file", () => {
    const report = evaluatePolicies(insecure, { stack: "qa", policies: pinned });
    expect(report.configSource).toBe("none");
    // Without requiredTags / allowedLocations those rules do not apply.
    expect(report.violations.some((v) => v.policy === "tags-required" || v.policy === "locations-allowed")).toBe(false);
  });
});

describe("config semantics (as the engine applies --policy-pack-config)", () => {
  it("refuses an allow-list entry without a reason (issue 14: every waiver says why)", () => {
    expect(() => validatePolicyConfig({ "rbac-privileged": { allow: [{ name: "ci-owner" }] } })).toThrow(/rbac-privileged\.allow\[0\]\.reason is required/);
    expect(() => validatePolicyConfig({ "rbac-privileged": { allow: [{ name: "ci-owner", reason: "needed" }] } })).toThrow(/allow\[0\]\.reason must have at least 20 characters/);
    expect(() => validatePolicyConfig({ "rbac-privileged": { allow: [{ name: "ci-owner", reason: "the CI identity creates role assignments" }] } })).not.toThrow();
  });

  const insecure = readPlanFile(INSECURE);

  it('"all" sets every level; a policy entry overrides "all"', () => {
    const report = evaluatePolicies(insecure, { stack: "prod", policies: pinned, config: { all: "advisory", "web-https-only": "mandatory" } });
    expect(report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policy)).toEqual(["web-https-only"]);
    expect(report.advisory).toBeGreaterThan(10);
  });

  it("drops disabled policies and reports remediate as mandatory", () => {
    const report = evaluatePolicies(insecure, { stack: "prod", policies: pinned, config: { "web-https-only": "disabled", "kv-purge": "remediate" } });
    expect(report.policies.map((p) => p.name)).not.toContain("web-https-only");
    expect(report.violations.some((v) => v.policy === "web-https-only")).toBe(false);
    expect(report.violations.find((v) => v.policy === "kv-purge")?.enforcementLevel).toBe("mandatory");
  });

  it("rejects a config that does not fit the pack", () => {
    expect(() => evaluatePolicies(insecure, { stack: "prod", config: { "no-such-rule": "advisory" } })).toThrow(PolicyConfigError);
    expect(() => evaluatePolicies(insecure, { stack: "prod", config: { "web-https-only": { enforcementLevel: "advisory", strict: true } } })).toThrow(
      /policy "web-https-only" has no config property "strict" \(it takes only enforcementLevel\)/,
    );
    expect(() => evaluatePolicies(insecure, { stack: "prod", config: { "tags-required": { requiredTags: "owner" } } })).toThrow(
      /tags-required\.requiredTags must be "array"/,
    );
    expect(() => evaluatePolicies(insecure, { stack: "prod", config: { "tags-required": { requiredTags: [""] } } })).toThrow(/requiredTags\[0\] must have at least 1 characters/);
  });
});

describe("how the runner calls rules", () => {
  const compliant = readPlanFile(COMPLIANT);

  it('turns "[unknown]" values into the analyzer\'s unknowns: a rule that reads one is reported as not runnable during preview', () => {
    const preview = edit(compliant, "orders-app", (r) => {
      r.inputs.httpsOnly = "[unknown]";
      // Unknown app setting values do not stop the settings rules.
      (r.inputs.siteConfig as { appSettings: { name: string; value: string }[] }).appSettings.push({ name: "LATE", value: "[unknown]" });
    });
    const report = evaluatePolicies(preview, { stack: "prod", policies: pinned });
    expect(report.violations).toEqual([
      {
        policy: "web-https-only",
        enforcementLevel: "advisory",
        urn: "urn:pulumi:prod::serverless-platform::azure-native:web:WebApp::orders-app",
        type: "azure-native:web:WebApp",
        name: "orders-app",
        message: expect.stringMatching(/can't run policy "web-https-only" during preview: .*httpsOnly/),
      },
    ]);
  });

  it("gives each validation its own props (as the analyzer deserializes them afresh), and not-applicable costs no stack trace", () => {
    const seen = new Map<string, unknown[]>();
    const record = (name: string) =>
      resourcePolicy({
        name,
        description: "records the props object it is given",
        severity: "low",
        remediationSteps: "nothing to remediate here",
        validateResource: (args: ResourceValidationArgs) => {
          seen.set(args.urn, [...(seen.get(args.urn) ?? []), args.props]);
          args.notApplicable("recorded");
        },
      });
    const report = evaluatePolicies(compliant, { stack: "prod", policies: [record("first"), record("second")], config: {} });
    expect(report.violations).toEqual([]);
    expect(seen.size).toBeGreaterThan(10);
    for (const [urn, props] of seen) expect(props[0], urn).not.toBe(props[1]);
    const thrown = (() => {
      try {
        return notApplicable("not this type");
      } catch (e) {
        return e as Error;
      }
    })();
    expect(thrown).toBeInstanceOf(NotApplicable);
    expect(thrown.message).toBe("not this type");
    expect(thrown.stack).not.toMatch(/\n\s+at /);
    // The limit is restored for every other error.
    expect(new Error("other").stack).toMatch(/\n\s+at /);
  });

  it("gives resource rules inputs, options and SDK-class type checks; only custom resources", () => {
    const seen: { name: string; protect: boolean; create: number; isWebApp: boolean; asType: unknown }[] = [];
    const probe = resourcePolicy({
      name: "probe",
      description: "records what it is given",
      severity: "low",
      remediationSteps: "nothing to remediate here",
      validateResource: (args: ResourceValidationArgs) => {
        seen.push({
          name: args.name,
          protect: args.opts.protect,
          create: args.opts.customTimeouts.createSeconds,
          isWebApp: args.isType(web.WebApp),
          asType: args.asType(web.WebApp)?.name,
        });
      },
    });
    evaluatePolicies(compliant, { stack: "prod", policies: [probe], config: {} });
    expect(seen.some((s) => s.name === "serverless-platform-prod")).toBe(false);
    expect(seen.find((s) => s.name === "orders-app")).toEqual({ name: "orders-app", protect: false, create: 0, isWebApp: true, asType: "contoso-func-orders-p" });
    expect(seen.find((s) => s.name === "gateway")).toMatchObject({ create: 5400, isWebApp: false, asType: undefined });
    expect(seen.find((s) => s.name === "cosmos")?.protect).toBe(true);
  });

  it("gives stack rules outputs over inputs and resolved parents and property dependencies", () => {
    let app: PolicyResource | undefined;
    const probe = stackPolicy({
      name: "probe",
      description: "records the stack",
      severity: "low",
      remediationSteps: "nothing to remediate here",
      validateStack: (args, report) => {
        app = args.resources.find((r) => r.name === "orders-app");
        report("stack-level finding");
        report("resource finding", app!.urn);
      },
    });
    const report = evaluatePolicies(compliant, { stack: "prod", policies: [probe], config: {} });
    expect(app!.props.identity.userAssignedIdentities).not.toBeInstanceOf(Array); // the output shape won
    expect(app!.props.functionAppConfig.runtime.version).toBe("22"); // an input the outputs lack
    expect(app!.parent?.type).toBe("pulumi:pulumi:Stack");
    expect(app!.propertyDependencies.serverFarmId!.map((r) => r.name)).toEqual(["orders-plan"]);
    expect(report.violations.map((v) => [v.type, v.name, v.message])).toEqual([
      ["azure-native:web:WebApp", "orders-app", "resource finding"],
      ["pulumi:pulumi:Stack", "serverless-platform-prod", "stack-level finding"],
    ]);
    expect(report.violations[0]!.enforcementLevel).toBe("advisory");
  });

  it("fails loudly when a rule throws, naming the rule and the resource", () => {
    const broken = resourcePolicy({
      name: "broken",
      description: "throws on purpose",
      severity: "high",
      remediationSteps: "fix the rule itself",
      validateResource: () => {
        throw new TypeError("cannot read properties of undefined");
      },
    });
    expect(() => evaluatePolicies(compliant, { stack: "prod", policies: [broken], config: {} })).toThrow(PolicyRunError);
    expect(() => evaluatePolicies(compliant, { stack: "prod", policies: [broken], config: {} })).toThrow(/policy "broken" failed on urn:pulumi:prod::.*ResourceGroup::platform: cannot read/);
  });

  it("converts custom timeouts to seconds", () => {
    expect(durationSeconds("90m")).toBe(5400);
    expect(durationSeconds("1h30m")).toBe(5400);
    expect(durationSeconds("45s")).toBe(45);
    expect(durationSeconds(undefined)).toBe(0);
  });
});

describe("formatPolicyTable", () => {
  it("prints a header, one row per violation and a summary", () => {
    const table = formatPolicyTable(evaluatePolicies(readPlanFile(INSECURE), { stack: "prod", policies: pinned }));
    const lines = table.split("\n");
    expect(lines[0]).toMatch(/^Policy report for stack "prod" of project "serverless-platform": 98 policies on \d+ resources \(config: policy.config\.prod\.json\)$/);
    expect(lines[2]).toMatch(/^LEVEL\s+POLICY\s+RESOURCE\s+MESSAGE$/);
    expect(table).toMatch(/\nmandatory\s+web-https-only\s+web:WebApp orders-app\s+site "orders-app" has httpsOnly false: set httpsOnly: true/);
    expect(lines.at(-1)).toMatch(/^47 mandatory, 0 advisory violations \(16 resources, 32 policies\)$/);
  });

  it("says so when there is nothing to report", () => {
    expect(formatPolicyTable(evaluatePolicies(readPlanFile(COMPLIANT), { stack: "prod", policies: pinned }))).toMatch(/\n\nNo policy violations\.$/);
  });
});

describe("plan files", () => {
  it("names the file and the problem", () => {
    expect(() => readPlanFile("/nonexistent/plan.json")).toThrow(/plan file \/nonexistent\/plan\.json not found \(write one with `npm run plan -- --stack <stack> --json/);
    expect(() => parsePlan({ project: "p", stack: "s", resources: [{ urn: "u", type: "t" }], outputs: {} }, "plan file x.json")).toThrow(PlanFileError);
    expect(() => parsePlan({ project: "p", stack: "s", resources: [{ urn: "u", type: "t" }], outputs: {} }, "plan file x.json")).toThrow(
      /plan file x\.json is not a plan .*\n {2}resources\.0\.name: /s,
    );
  });

  it("keeps fields a newer plan format adds", () => {
    const plan = parsePlan({ project: "p", stack: "s", resources: [], outputs: {}, generatedBy: "plan v2" }, "x");
    expect((plan as unknown as { generatedBy: string }).generatedBy).toBe("plan v2");
  });
});

describe("npm run policy", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "policy-cli-"));
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it("exits non-zero on the insecure plan and names the rules (as a child process)", () => {
    // The process `npm run policy`'s tsx starts (node --import tsx), without the tsx command around it.
    const run = spawnSync(process.execPath, ["--import", "tsx", "engine/cli/policy.ts", "--plan", INSECURE, "--stack", "prod"], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    expect(run.status).toBe(1);
    for (const rule of INSECURE_RULES) expect(run.stdout).toContain(rule);
    expect(run.stderr).toMatch(/47 mandatory policy violations: fix them before `pulumi up`/);
  });

  it("exits 0 on the compliant plan", async () => {
    const c = capture();
    expect(await runPolicyCli(["--plan", COMPLIANT, "--stack", "prod"], c.io, { policies: pinned })).toBe(0);
    expect(c.out()).toMatch(/No policy violations/);
  });

  it("defaults --stack to the plan's stack and prints JSON with --json", async () => {
    const c = capture();
    expect(await runPolicyCli(["--plan", INSECURE, "--json"], c.io, { policies: pinned })).toBe(1);
    const report = JSON.parse(c.out()) as { stack: string; mandatory: number };
    expect(report).toMatchObject({ stack: "prod", mandatory: 47 });
  });

  it("takes a config file instead of policy/config.<stack>.json", async () => {
    const c = capture();
    expect(await runPolicyCli(["--plan", INSECURE, "--config", file("all-advisory.json", '{ "all": "advisory" }')], c.io, { policies: pinned })).toBe(0);
    // The file replaces config.prod.json: no requiredTags / allowedLocations, so those two rules do not apply.
    expect(c.out()).toMatch(/\(config: .*all-advisory\.json\)[\s\S]*0 mandatory, 45 advisory violations/);
  });

  it.each([
    [["--plan", "/nonexistent/plan.json"], /error: plan file \/nonexistent\/plan\.json not found/],
    [["--plan", file("broken.json", "{ not json")], /error: plan file .*broken\.json is not valid JSON: /],
    [["--plan", file("shape.json", '{ "project": "p", "stack": "prod", "resources": {}, "outputs": {} }')], /is not a plan .*\n {2}resources: /s],
    [["--plan", COMPLIANT, "--stack", "dev"], /is a plan of stack "prod", not "dev"/],
    [["--plan", COMPLIANT, "--config", file("bad-config.json", '{ "web-https-only": "sometimes" }')], /policy config .*bad-config\.json is not a policy pack config/],
    [[], /error: --plan is required\nusage: npm run policy/],
    [["--plan"], /error: .*--plan/],
    [["--plan", COMPLIANT, "--verbose"], /error: .*--verbose/],
  ])("exits 2 with a clear error for %j", async (argv, message) => {
    const c = capture();
    expect(await runPolicyCli(argv, c.io, { policies: pinned })).toBe(2);
    expect(c.err()).toMatch(message);
  });
});

describe("running a subset of the pack", () => {
  it("accepts the stack's config file for a subset and applies it to the policies that run", () => {
    const subset = pinned.filter((p) => p.name === "tags-required" || p.name === "web-https-only");
    const report = evaluatePolicies(readPlanFile(INSECURE), { stack: "prod", policies: subset });
    expect([...new Set(report.violations.map((v) => v.policy))].sort()).toEqual(["tags-required", "web-https-only"]);
  });
});
