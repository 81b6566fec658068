/**
 * The pack's violations for many single edits of one plan (the mutation harnesses: about 250 edits of the
 * prod plan), each exactly `evaluatePolicies(edited, options).violations`, without running every resource
 * policy on the ~230 resources no edit touched.
 *
 * Why that is the same answer: a resource policy sees one resource (engine/policy-run/analyzer-args.ts
 * `resourceArgs`: its type, inputs, URN, name, options and parent) and its config, and the pack's resource
 * policies keep no state from one resource to the next (the only module-level store, policy/rules/apim.ts
 * `parseOnce`, caches a document's parse by its text). So a resource equal to the base plan's resource of
 * the same URN gets the base evaluation's resource-policy violations; only the edited or added resources
 * are evaluated again. (One rule reads the clock, func-node-eol-soon counting days to a runtime's end of
 * life: its advisory message is the base evaluation's, as for any evaluation made the same day.) Stack policies see the whole stack: they always run on the whole edited plan.
 * With a URN held twice (the order of equal-keyed violations would depend on evaluation order), the whole
 * plan is evaluated. test/policy/edited-plans.test.ts checks the equality on catalog mutations and on
 * random edits.
 */
import { evaluatePolicies, type EvaluateOptions, type PolicyViolation } from "../../engine/policy-runner";
import type { Plan, PlannedResource } from "../../engine/plan-format";
import { isStackPolicy, policies as packPolicies } from "../../policy/rules";

/** Exact equality of plain data (key order included); anything not a plain object or array counts as different. */
function sameData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const proto = Object.getPrototypeOf(a) as unknown;
  if (proto !== Object.getPrototypeOf(b) || (proto !== Object.prototype && proto !== Array.prototype && proto !== null)) return false;
  if (Array.isArray(a) && (a as unknown[]).length !== (b as unknown[]).length) return false;
  const keys = Object.keys(a);
  const other = Object.keys(b);
  if (keys.length !== other.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k !== other[i] || !sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** The runner's report order (engine/policy-runner.ts `summarize`): mandatory first, then policy, URN, message. */
function byReportOrder(a: PolicyViolation, b: PolicyViolation): number {
  const rank = (v: PolicyViolation): number => (v.enforcementLevel === "mandatory" ? 0 : 1);
  return rank(a) - rank(b) || a.policy.localeCompare(b.policy) || a.urn.localeCompare(b.urn) || a.message.localeCompare(b.message);
}

const uniqueUrns = (resources: readonly PlannedResource[]): boolean => new Set(resources.map((r) => r.urn)).size === resources.length;

export class EditedPlanEvaluator {
  readonly #options: EvaluateOptions;
  readonly #resourcePolicies: EvaluateOptions["policies"];
  readonly #stackPolicies: EvaluateOptions["policies"];
  /** The base plan's custom resources by URN (a copy: a caller may edit the base afterwards), with their resource-policy violations; undefined when a URN repeats. */
  readonly #base: ReadonlyMap<string, { readonly resource: PlannedResource; readonly violations: readonly PolicyViolation[] }> | undefined;

  constructor(base: Plan, options: EvaluateOptions) {
    const all = options.policies ?? packPolicies;
    this.#options = options;
    this.#resourcePolicies = all.filter((p) => !isStackPolicy(p));
    this.#stackPolicies = all.filter((p) => isStackPolicy(p));
    const custom = structuredClone(base.resources.filter((r) => r.custom));
    if (!uniqueUrns(custom)) return;
    const violations = evaluatePolicies({ ...base, resources: custom }, { ...options, policies: this.#resourcePolicies }).violations;
    const byUrn = new Map<string, PolicyViolation[]>(custom.map((r) => [r.urn, []]));
    for (const v of violations) byUrn.get(v.urn)!.push(v);
    this.#base = new Map(custom.map((r) => [r.urn, { resource: r, violations: byUrn.get(r.urn)! }]));
  }

  /** `evaluatePolicies(plan, options).violations`, evaluating resource policies only on what differs from the base plan. */
  violations(plan: Plan): PolicyViolation[] {
    const custom = plan.resources.filter((r) => r.custom);
    if (!this.#base || !uniqueUrns(custom)) return [...evaluatePolicies(plan, this.#options).violations];
    const reused: PolicyViolation[] = [];
    const changed: PlannedResource[] = [];
    for (const r of custom) {
      const before = this.#base.get(r.urn);
      if (before && sameData(r, before.resource)) reused.push(...before.violations);
      else changed.push(r);
    }
    const evaluated = changed.length > 0 ? evaluatePolicies({ ...plan, resources: changed }, { ...this.#options, policies: this.#resourcePolicies }).violations : [];
    const stack = evaluatePolicies(plan, { ...this.#options, policies: this.#stackPolicies }).violations;
    return [...reused, ...evaluated, ...stack].sort(byReportOrder);
  }
}
