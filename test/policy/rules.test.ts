/**
 * Every resource policy of the pack against compliant, violating and not-applicable resources
 * (the cases live in ./cases). Stack policies have their own files in ./stack.
 */
import { existsSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { isStackPolicy, policies } from "../../policy/rules";
import { dataCases } from "./cases/data";
import { deploySafetyCases } from "./cases/deploy-safety";
import { flexCases } from "./cases/flex";
import { governanceCases } from "./cases/governance";
import { integrationCases } from "./cases/integration";
import { issue14Cases } from "./cases/issue14";
import type { RuleCase } from "./cases/types";
import { webCases } from "./cases/web";
import { runtimeSafetyCases } from "./cases/runtime-safety";
import { checkResource, rule } from "./harness";

const cases: RuleCase[] = [
  ...webCases,
  ...flexCases,
  ...dataCases,
  ...integrationCases,
  ...governanceCases,
  ...issue14Cases,
  ...deploySafetyCases,
  ...runtimeSafetyCases,
];

for (const c of cases) {
  const policy = c.policy ?? rule(c.rule);
  describe(`${c.rule}${c.policy ? " (pinned clock)" : ""}`, () => {
    it("is the policy it claims to test", () => {
      expect(policy.name).toBe(c.rule);
    });
    for (const s of c.compliant) {
      it(`passes ${s.note}`, () => {
        const result = checkResource(policy, s.type, s.props, { config: s.config });
        expect(result.violations).toEqual([]);
        expect(result.applicable, `not applicable: ${result.notApplicableReasons.join("; ")}`).toBe(true);
      });
    }
    for (const s of c.violating) {
      it(`flags ${s.note}`, () => {
        const result = checkResource(policy, s.type, s.props, { config: s.config });
        expect(result.violations.length).toBeGreaterThan(0);
        for (const message of result.violations) expect(message).toMatch(s.expect);
      });
    }
    for (const s of c.notApplicable) {
      it(`does not apply to ${s.note}`, () => {
        const result = checkResource(policy, s.type, s.props, { config: s.config });
        expect(result.violations).toEqual([]);
        expect(result.applicable).toBe(false);
      });
    }
  });
}

describe("test coverage of the pack", () => {
  const resourcePolicies = policies.filter((p) => !isStackPolicy(p));

  it.each(resourcePolicies.map((p) => p.name))("%s has a compliant, a violating and a not-applicable case", (name) => {
    const mine = cases.filter((c) => c.rule === name);
    expect(mine.flatMap((c) => c.compliant).length).toBeGreaterThan(0);
    expect(mine.flatMap((c) => c.violating).length).toBeGreaterThan(0);
    expect(mine.flatMap((c) => c.notApplicable).length).toBeGreaterThan(0);
  });

  it.each(policies.filter(isStackPolicy).map((p) => p.name))("stack policy %s has a test file", (name) => {
    expect(existsSync(path.join(__dirname, "stack", `${name}.test.ts`))).toBe(true);
  });

  it("has a description, remediation and level on every policy", () => {
    for (const p of policies) {
      expect(p.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(p.description.length, p.name).toBeGreaterThan(10);
      expect(p.remediationSteps?.length ?? 0, p.name).toBeGreaterThan(10);
      expect(["advisory", "mandatory"], p.name).toContain(p.enforcementLevel);
    }
  });
});
