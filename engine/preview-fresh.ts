/**
 * The fresh-stack pass: the program evaluated as the first `pulumi preview` of a stack that does not
 * exist yet (engine/plan.ts `dryRun`). Its policy report tells which rules a real preview cannot judge
 * (they read a value only the providers compute) — for those, the offline plan is the gate. It runs in
 * this process, the program's modules loaded afresh (`reloadProgram`): a second process would load
 * and compile everything again.
 */
import { planStack } from "./plan";
import type { Plan } from "./plan-format";
import { evaluatePolicies, type EvaluateOptions, type PolicyReport } from "./policy-runner";

export interface FreshStackResult {
  readonly plan: Plan;
  readonly policy: PolicyReport;
}

export interface FreshStackOptions {
  readonly stack: string;
  readonly projectDir: string;
  readonly program?: string;
  /** The policies to run. @default the whole pack (the sample report pins the clock of the date rules) */
  readonly policies?: EvaluateOptions["policies"];
  /** The new-stack plan when the caller already has it (engine/plan-cache.ts): only the policies run. */
  readonly plan?: Plan;
}

/** Evaluates the stack as `npm run plan -- --dry-run` does and runs the pack on what it registered. */
export async function freshStackPass(options: FreshStackOptions): Promise<FreshStackResult> {
  const plan =
    options.plan ??
    (await planStack({
      stack: options.stack,
      projectDir: options.projectDir,
      ...(options.program ? { program: options.program } : {}),
      dryRun: true,
      reloadProgram: true,
    }));
  return { plan, policy: evaluatePolicies(plan, { stack: options.stack, ...(options.policies ? { policies: options.policies } : {}) }) };
}

/** The rules a new stack's real preview cannot run, with the resources they could not judge. */
export function offlineOnlyRules(policy: PolicyReport): { readonly policy: string; readonly resources: readonly string[] }[] {
  const byPolicy = new Map<string, Set<string>>();
  for (const v of policy.violations) {
    if (!v.message.startsWith("can't run policy")) continue;
    const set = byPolicy.get(v.policy) ?? new Set<string>();
    set.add(v.name);
    byPolicy.set(v.policy, set);
  }
  return [...byPolicy.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([p, r]) => ({ policy: p, resources: [...r].sort() }));
}
