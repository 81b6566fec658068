/**
 * The fresh-stack pass: the program evaluated as the first `pulumi preview` of a stack that does not
 * exist yet (engine/plan.ts `dryRun`). Its policy report tells which rules a real preview cannot judge
 * (they read a value only the providers compute) — for those, the offline plan is the gate.
 *
 * `npm run plan -- --report` runs it in a second process started with the command
 * (`startFreshStackPass`), so it evaluates on the other core while the first process evaluates the
 * plan itself. That process records its own evaluation in the plan cache (engine/plan-cache.ts), with
 * the files it loaded: the cache's record of loaded files stays per evaluation, as in one process.
 * `freshStackPass` runs it in the calling process, the program's modules loaded afresh (`reloadProgram`).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
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

/** What the second process reports: the pass, and whether the plan cache answered its evaluation. */
export interface FreshStackOutcome {
  readonly fresh: FreshStackResult;
  readonly hit: boolean;
  readonly reason?: string;
}

/** The request the second process gets (JSON, its first argument). */
export interface FreshStackChildRequest {
  readonly stack: string;
  readonly projectDir: string;
  readonly program?: string;
  /** Reuse the plan cache's entry when no input changed (engine/plan-cache.ts); false = --no-cache. */
  readonly useCache: boolean;
}

/** The second process failed as the command itself would have: its exit code and message (engine/cli/plan.ts). */
export class FreshStackChildFailure extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
  ) {
    super(text);
    this.name = "FreshStackChildFailure";
  }
}

export interface FreshStackChild {
  /**
   * The pass, once the second process is done; what it printed (the program's warnings) is written to
   * this process's stdout and stderr first, where an evaluation in this process would have printed it.
   */
  readonly outcome: () => Promise<FreshStackOutcome>;
  /** Ends the second process if it still runs (the command failed or no longer needs it). */
  readonly stop: () => void;
}

/** The second process's entry. */
const CHILD_ENTRY = path.join(__dirname, "preview-fresh-child.ts");

/**
 * Node's flags for the second process: this process's own when they load tsx (the plan cache's key
 * includes them, so a `--dry-run` plan and the pass share their entry), else tsx's loader.
 */
function childExecArgv(): string[] {
  return process.execArgv.some((a) => /(^|[\\/=])tsx([\\/]|$)/.test(a)) ? [...process.execArgv] : ["--import", "tsx"];
}

/** Starts the fresh-stack pass in a second Node process (see the module comment). */
export function startFreshStackPass(request: FreshStackChildRequest): FreshStackChild {
  const folder = mkdtempSync(path.join(tmpdir(), "fresh-stack-"));
  const resultFile = path.join(folder, "result.json");
  const child = spawn(process.execPath, [...childExecArgv(), CHILD_ENTRY, JSON.stringify(request), resultFile], {
    cwd: process.cwd(),
    env: process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on("data", (d: Buffer) => stdout.push(d));
  child.stderr.on("data", (d: Buffer) => stderr.push(d));
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.on("error", (error) => resolve({ code: null, error }));
    child.on("close", (code) => resolve({ code }));
  });
  let done = false;
  const outcome = async (): Promise<FreshStackOutcome> => {
    const { code, error } = await exited;
    done = true;
    try {
      process.stdout.write(Buffer.concat(stdout));
      process.stderr.write(Buffer.concat(stderr));
      let result: { outcome?: FreshStackOutcome; failure?: { code: number; text: string } } | undefined;
      try {
        result = JSON.parse(readFileSync(resultFile, "utf8")) as typeof result;
      } catch {
        result = undefined;
      }
      if (result?.failure) throw new FreshStackChildFailure(result.failure.code, result.failure.text);
      if (code !== 0 || !result?.outcome) {
        throw new Error(`the fresh-stack pass (a second node process) ended with ${error ? error.message : `exit code ${code}`} and no result`);
      }
      return result.outcome;
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  };
  const stop = (): void => {
    if (done) return;
    done = true;
    child.kill();
    void exited.then(() => rmSync(folder, { recursive: true, force: true }));
  };
  return { outcome, stop };
}
