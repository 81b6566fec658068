/**
 * Entry of the local twin: evaluates a stack's offline plan (which also bundles every service exactly as
 * `pulumi up` would, into `.build/functions/<service>/app`) and runs the system from it.
 * See twin.ts for what is real and what is emulated; docs/LOCAL-DEVELOPMENT.md for usage.
 */
import * as path from "node:path";
import { DEFAULT_OUT_ROOT } from "../../components/function-app/bundle";
import { planStack } from "../plan";
import type { Plan } from "../plan-format";
import { twinModel } from "./model";
import { Twin, type TwinOptions } from "./twin";

export { Twin } from "./twin";
export type { TwinOptions } from "./twin";

/** The bundle folder of each app in the plan (built by the plan's evaluation). */
export function bundlesFor(plan: Plan, outRoot: string = DEFAULT_OUT_ROOT): Record<string, string> {
  return Object.fromEntries(twinModel(plan).apps.map((a) => [a.service, path.join(outRoot, a.service, "app")]));
}

export interface StackTwinOptions extends Omit<TwinOptions, "plan" | "bundles"> {
  readonly stack: string;
  readonly projectDir?: string;
  /** Edits the plan before the twin runs it (tests: remove a grant, rename a setting). */
  readonly editPlan?: (plan: Plan) => Plan;
}

/** Plans the stack, then starts its twin; the caller stops it. */
export async function startStackTwin(options: StackTwinOptions): Promise<{ twin: Twin; plan: Plan; planMs: number; startMs: number }> {
  const t0 = Date.now();
  const planned = await planStack({ stack: options.stack, ...(options.projectDir ? { projectDir: options.projectDir } : {}) });
  const plan = options.editPlan ? options.editPlan(planned) : planned;
  const t1 = Date.now();
  const twin = new Twin({ ...options, plan, bundles: bundlesFor(plan) });
  try {
    await twin.start();
  } catch (error) {
    await twin.stop();
    throw error;
  }
  return { twin, plan, planMs: t1 - t0, startMs: Date.now() - t1 };
}
