/**
 * The mutation harness: single realistic mistakes (./mutations/catalog.ts) applied one at a time to
 * the real prod plan, each evaluated with the prod pack config. A mutation is caught when the pack
 * reports a new mandatory violation that names the mutated resource, or is reported on it or on its
 * owner (its parent component, or a resource it links to such as a policy's API). Prints the catch
 * rate per class and overall; fails below 95% overall.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { stackPlan } from "../helpers/stack-plans";
import type { Plan } from "../../engine/plan-format";
import { evaluatePolicies, type PolicyViolation } from "../../engine/policy-runner";
import { EditedPlanEvaluator } from "./edited-plans";
import { MUTATIONS, MUTATION_TIMEOUT_MS, find, type MutablePlan, type Mutation } from "./mutations/catalog";

let base: Plan;
let baseline: Set<string>;
let evaluator: EditedPlanEvaluator;

const key = (v: PolicyViolation): string => `${v.policy}|${v.urn}|${v.message}`;

beforeAll(async () => {
  base = await stackPlan("prod");
  baseline = new Set(evaluatePolicies(base, { stack: "prod" }).violations.filter((v) => v.enforcementLevel === "mandatory").map(key));
  // The pack's violations of each mutated plan, evaluating resource policies only where it differs (./edited-plans.ts).
  evaluator = new EditedPlanEvaluator(base, { stack: "prod" });
}, 240_000);

interface Outcome {
  readonly mutation: Mutation;
  readonly caught: boolean;
  readonly by: readonly string[];
}

function run(m: Mutation): Outcome {
  const plan = structuredClone(base) as unknown as MutablePlan;
  const before = plan.resources.find((r) => r.name === m.target);
  m.apply(plan);
  const target = before ?? find(plan, m.target);
  const owners = new Set<string>([target.urn, ...(target.parent ? [target.parent] : []), ...Object.values(target.propertyDependencies).flat()]);
  const fresh = evaluator.violations(plan as unknown as Plan).filter((v) => v.enforcementLevel === "mandatory" && !baseline.has(key(v)));
  const naming = fresh.filter((v) => owners.has(v.urn) || v.message.includes(`"${m.target}"`));
  return { mutation: m, caught: naming.length > 0, by: [...new Set(naming.map((v) => v.policy))] };
}

describe("mutation harness: single mistakes in the prod plan", () => {
  it("the real prod plan has no mandatory violation", () => {
    expect([...baseline]).toEqual([]);
  });

  it("catches at least 95% of the mutations, naming the mutated resource or its owner", () => {
    const outcomes = MUTATIONS.map(run);
    const byClass = new Map<string, Outcome[]>();
    for (const o of outcomes) byClass.set(o.mutation.class, [...(byClass.get(o.mutation.class) ?? []), o]);
    const lines = [...byClass].map(([c, os]) => `  ${c.padEnd(16)} ${os.filter((o) => o.caught).length}/${os.length}`);
    const caught = outcomes.filter((o) => o.caught).length;
    const rate = caught / outcomes.length;
    const missed = outcomes.filter((o) => !o.caught).map((o) => `  missed: [${o.mutation.class}] ${o.mutation.id} (${o.mutation.target})`);
    console.log([`mutation catch rate: ${caught}/${outcomes.length} = ${(rate * 100).toFixed(1)}%`, ...lines, ...missed].join("\n"));
    expect(rate).toBeGreaterThanOrEqual(0.95);
  }, MUTATION_TIMEOUT_MS);

  it("is as many mutations as policy/README.md says", () => {
    expect(readFileSync(path.resolve(__dirname, "../../policy/README.md"), "utf8")).toContain(`applies ${MUTATIONS.length} single realistic mistakes`);
  });

  it("covers every class the issues name, with several variants each", () => {
    const counts = new Map<string, number>();
    for (const m of MUTATIONS) counts.set(m.class, (counts.get(m.class) ?? 0) + 1);
    for (const c of ["apim-documents", "apim-authz", "rbac", "secrets", "network", "logging", "reliability", "entra"]) {
      expect(counts.get(c) ?? 0, c).toBeGreaterThanOrEqual(3);
    }
  });

  it("each mutation changes the plan (no mutation is a no-op)", () => {
    const unchanged = JSON.stringify(base);
    for (const m of MUTATIONS) {
      const plan = structuredClone(base) as unknown as MutablePlan;
      m.apply(plan);
      expect(JSON.stringify(plan), m.id).not.toEqual(unchanged);
    }
  }, MUTATION_TIMEOUT_MS);
});
