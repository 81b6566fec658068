/**
 * The mutation harnesses' evaluator (./edited-plans.ts) gives exactly the runner's violations for an
 * edited plan: the same list, in the same order, as `evaluatePolicies` on the whole edited plan. Checked on
 * a sample of the catalog's mutations and on random edits (inputs set, deleted or reordered at any depth,
 * types, parents and options changed, resources removed, added and duplicated), alone or on top of
 * random catalog mutations.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../engine/plan-format";
import { evaluatePolicies } from "../../engine/policy-runner";
import { stackPlan } from "../helpers/stack-plans";
import { EditedPlanEvaluator } from "./edited-plans";
import { MUTATIONS, type MutablePlan } from "./mutations/catalog";

type Json = Record<string, unknown>;
/** A resource of the copy being edited (every field may change). */
type Res = { -readonly [K in keyof MutablePlan["resources"][number]]: MutablePlan["resources"][number][K] };

let base: Plan;
let evaluator: EditedPlanEvaluator;

beforeAll(async () => {
  base = await stackPlan("prod");
  evaluator = new EditedPlanEvaluator(base, { stack: "prod" });
}, 240_000);

const full = (plan: Plan) => evaluatePolicies(plan, { stack: "prod" }).violations;

/** The violations, or the error a rule threw (an edit may give a rule a shape it refuses). */
function outcome(evaluate: () => unknown): unknown {
  try {
    return { violations: evaluate() };
  } catch (error) {
    return { error: String(error) };
  }
}

/** One random edit; indexes and keys are taken modulo what the plan holds. */
type Edit =
  | { kind: "set"; at: number; path: number[]; existing: boolean; pick: number; key: string; value: unknown; mirror: boolean }
  | { kind: "delete" | "reorder"; at: number; path: number[]; pick: number; mirror: boolean }
  | { kind: "type" | "parent"; at: number; from: number }
  | { kind: "options"; at: number; protect: boolean; create: string }
  | { kind: "remove" | "copy" | "duplicate"; at: number };

/** The object `path` leads to inside `root` (each step: the n-th key modulo the keys, stopping at a leaf). */
function walk(root: Json, path: readonly number[]): Json {
  let node = root;
  for (const step of path) {
    const keys = Object.keys(node).filter((k) => node[k] !== null && typeof node[k] === "object");
    if (keys.length === 0) break;
    node = node[keys[step % keys.length]!] as Json;
  }
  return node;
}

function apply(plan: MutablePlan, e: Edit): void {
  const list = plan.resources;
  const r = list[e.at % list.length]! as Res;
  switch (e.kind) {
    case "set":
    case "delete":
    case "reorder":
      for (const props of e.mirror ? [r.inputs, r.outputs] : [r.inputs]) {
        const node = walk(props, e.path);
        const keys = Object.keys(node);
        const key = e.kind === "set" && !(e.existing && keys.length > 0) ? e.key : keys[e.pick % Math.max(1, keys.length)];
        if (key === undefined) continue;
        const value = e.kind === "set" ? structuredClone(e.value) : node[key];
        delete node[key];
        if (e.kind !== "delete") node[key] = value; // "reorder": same value, now the last key
      }
      return;
    case "type":
      r.type = list[e.from % list.length]!.type;
      return;
    case "parent":
      r.parent = list[e.from % list.length]!.urn;
      return;
    case "options":
      r.options = { ...r.options, protect: e.protect, customTimeouts: { create: e.create } };
      return;
    case "remove":
      list.splice(list.indexOf(r), 1);
      return;
    case "copy":
    case "duplicate": {
      const copy = structuredClone(r);
      if (e.kind === "copy") {
        copy.name = `${r.name}-copy`;
        copy.urn = `${r.urn}-copy`;
      }
      list.push(copy);
      return;
    }
  }
}

const at = fc.nat();
const path = fc.oneof(fc.constant<number[]>([]), fc.array(fc.nat(), { maxLength: 4 }));
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), at, path, existing: fc.boolean(), pick: fc.nat(), key: fc.string({ maxLength: 8 }), value: fc.jsonValue({ maxDepth: 2 }), mirror: fc.boolean() }),
  fc.record({ kind: fc.constantFrom("delete" as const, "reorder" as const), at, path, pick: fc.nat(), mirror: fc.boolean() }),
  fc.record({ kind: fc.constantFrom("type" as const, "parent" as const), at, from: fc.nat() }),
  fc.record({ kind: fc.constant("options" as const), at, protect: fc.boolean(), create: fc.constantFrom("1m", "30m", "2h") }),
  fc.record({ kind: fc.constantFrom("remove" as const, "copy" as const, "duplicate" as const), at }),
);

describe("the mutation harnesses' evaluator of edited plans", () => {
  it("gives the runner's violations for the unedited plan", () => {
    expect(evaluator.violations(structuredClone(base))).toEqual(full(base));
  });

  it("re-evaluates a resource whose name or type changed, not only one whose inputs changed", () => {
    // orders-app's advisory violations quote its name; under another type no web-app policy applies.
    const edits: ((r: Res) => void)[] = [
      (r) => (r.name = "orders-app-renamed"),
      (r) => (r.type = "azure-native:storage:Queue"),
    ];
    for (const change of edits) {
      const plan = structuredClone(base) as unknown as MutablePlan;
      change(plan.resources.find((r) => r.name === "orders-app")! as Res);
      const expected = full(plan as unknown as Plan);
      expect(expected, "the edit changes the runner's violations").not.toEqual(full(base));
      expect(evaluator.violations(plan as unknown as Plan)).toEqual(expected);
    }
  });

  it("gives the runner's violations for a sample of the catalog's mutations (every 12th)", () => {
    const sample = MUTATIONS.filter((_, i) => i % 12 === 0);
    expect(sample.length).toBeGreaterThanOrEqual(9);
    for (const m of sample) {
      const plan = structuredClone(base) as unknown as MutablePlan;
      m.apply(plan);
      expect(evaluator.violations(plan as unknown as Plan), m.id).toEqual(full(plan as unknown as Plan));
    }
  }, 120_000);

  it("gives the runner's violations for random edits of the plan, alone or on top of catalog mutations", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(MUTATIONS.length - 1), { maxLength: 3 }), fc.array(edit, { maxLength: 3 }), (mutations, edits) => {
        const plan = structuredClone(base) as unknown as MutablePlan;
        for (const i of mutations) {
          try {
            MUTATIONS[i]!.apply(plan);
          } catch {
            // an earlier mutation removed or changed what this one edits
          }
        }
        for (const e of edits) apply(plan, e);
        expect(outcome(() => evaluator.violations(plan as unknown as Plan))).toEqual(outcome(() => full(plan as unknown as Plan)));
      }),
      { numRuns: 10 },
    );
  }, 120_000);
});
