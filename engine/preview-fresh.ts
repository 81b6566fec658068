/**
 * The fresh-stack pass: the program evaluated as the first `pulumi preview` of a stack that does not
 * exist yet (engine/plan.ts `dryRun`), in a child process because the Pulumi runtime evaluates one
 * program per process. Its policy report tells which rules a real preview cannot judge (they read a
 * value only the providers compute) — for those, the offline plan is the gate.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { Plan } from "./plan-format";
import { evaluatePolicies, readPlanFile, type EvaluateOptions, type PolicyReport } from "./policy-runner";

const ROOT = path.resolve(__dirname, "..");

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
}

/** Runs `npm run plan -- --dry-run` for the stack and evaluates the pack on what it registered. */
export async function freshStackPass(options: FreshStackOptions): Promise<FreshStackResult> {
  const dir = mkdtempSync(path.join(tmpdir(), "fresh-stack-"));
  const out = path.join(dir, `${options.stack}.json`);
  try {
    const args = [
      path.join(ROOT, "engine/cli/plan.ts"),
      "--stack", options.stack, "--dry-run", "--quiet", "--json", out,
      "--project-dir", options.projectDir,
      ...(options.program ? ["--program", options.program] : []),
    ];
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(path.join(ROOT, "node_modules/.bin/tsx"), args, { cwd: options.projectDir, stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      child.on("error", reject);
      child.on("close", (c) => resolve({ code: c, stderr: err }));
    });
    // 1 = a mandatory violation on the preview plan: the plan was written, the report shows it.
    if (code !== 0 && code !== 1) throw new Error(`the fresh-stack preview failed (exit ${code}):\n${stderr.trim()}`);
    const plan = readPlanFile(out);
    return { plan, policy: evaluatePolicies(plan, { stack: options.stack, ...(options.policies ? { policies: options.policies } : {}) }) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
