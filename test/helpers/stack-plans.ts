/**
 * The real stacks' plans, evaluated once per test run and shared by every test file that asks.
 *
 * The first file to ask for a stack takes a lock in the run's folder (./stack-plans.setup.ts, which
 * the vitest project must list in `globalSetup`) and evaluates it in a child process
 * (./stack-plan.child.ts: one stack per process, its new-stack plan and its preview one after the
 * other, the program's modules loaded afresh for the second); the others wait for the files. A stack
 * nobody asks for is never evaluated, so running one test file costs only the stacks it uses. Each
 * call returns a new copy: a test may change what it gets.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { inject } from "vitest";
import type { Plan } from "../../engine/plan-format";

export type StackName = "dev" | "prod";

const root = path.resolve(__dirname, "../..");
/** Longer than the slowest evaluation seen on a loaded 2-core machine. */
const WAIT_MS = 600_000;

/**
 * Evaluates one stack in a child, both ways: the plans go to `fresh` and `preview`, what each evaluation
 * printed on stderr to `<file>.stderr`.
 */
function evaluateInChild(stack: StackName, fresh: string, preview: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "stack-plan.child.ts"), stack, fresh, preview], {
      cwd: root,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", (error) => resolve(`could not start the plans of ${stack}: ${error.message}`));
    child.once("close", (code) => resolve(code === 0 ? undefined : `the ${stack} plans (fresh stack, then preview) failed with exit code ${code}:\n${stderr.trim()}`));
  });
}

/**
 * Runs `work` once per test run for `key`, whichever test file (in whichever worker) asks first; the
 * others wait until it is done. `work` writes what it makes into the run's folder (its argument) and
 * returns a failure's text, or undefined; a failure is thrown to every caller.
 */
export async function onceInRun(key: string, work: (directory: string) => Promise<string | undefined>): Promise<string> {
  const directory = inject("stackPlansDir");
  if (!directory) throw new Error("no shared plans: add test/helpers/stack-plans.setup.ts to this vitest project's globalSetup");
  const doneFile = path.join(directory, `${key}.done`);
  const errorFile = path.join(directory, `${key}.error`);
  let mine = false;
  try {
    closeSync(openSync(path.join(directory, `${key}.lock`), "wx"));
    mine = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  if (mine) {
    const failure = await work(directory).catch((error: unknown) => `${key}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    writeFileSync(failure ? errorFile : doneFile, failure ?? "");
  } else {
    const deadline = Date.now() + WAIT_MS;
    while (!existsSync(doneFile) && !existsSync(errorFile)) {
      if (Date.now() > deadline) throw new Error(`the shared ${key} was not ready after ${WAIT_MS / 1000} s (another test file is making it)`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (existsSync(errorFile)) throw new Error(readFileSync(errorFile, "utf8"));
  return directory;
}

/**
 * The plan `planStack({ stack, projectDir: <repo> })` returns for a real stack (`npm run plan -- --stack
 * <stack>`), or with `fresh: true` the one of `dryRun: true` (a new stack's first `pulumi preview`).
 */
export async function stackPlan(stack: StackName, options: { fresh?: boolean } = {}): Promise<Plan> {
  return JSON.parse(readFileSync(await evaluated(stack, options), "utf8")) as Plan;
}

/** What the evaluation of {@link stackPlan} printed (the program's warnings: `console.warn` and `console.error` under mocks). */
export async function stackPlanStderr(stack: StackName, options: { fresh?: boolean } = {}): Promise<string> {
  return readFileSync(`${await evaluated(stack, options)}.stderr`, "utf8");
}

async function evaluated(stack: StackName, options: { fresh?: boolean }): Promise<string> {
  const file = (dir: string, fresh: boolean): string => path.join(dir, `${stack}${fresh ? "-fresh" : ""}.json`);
  const directory = await onceInRun(stack, (dir) => evaluateInChild(stack, file(dir, true), file(dir, false)));
  return file(directory, options.fresh === true);
}
