/**
 * `npm run plan -- <args>` in the test's own process (engine/cli/plan.ts `runPlanCli`): the exit code
 * and everything the command would print, without starting tsx and loading @pulumi/pulumi and
 * azure-native again (a child process spends more CPU on that than on a plan of the real program).
 *
 * What the program itself prints through `console` (Pulumi's runtime warnings under mocks) is
 * captured too, on the stream a process would print it to, so a run reads like the child's output.
 * Each call loads the project's modules afresh (`vi.resetModules()`): a worker runs many test files
 * (isolate is off) and the program registers its resources when its module is evaluated.
 * One run at a time: the Pulumi runtime's state is global to the process.
 *
 * A program that throws leaves, besides the rejection the command catches, promises of the runtime
 * nobody awaits; the entry point treats an unhandled rejection as the command's failure
 * (`process.on("unhandledRejection", ...)` in engine/cli/plan.ts). Here such a rejection must be the
 * failure the command already reported (its message is on stderr), else the run fails: nothing the
 * process would have printed is lost.
 *
 * At least one test per command still spawns the real entry point (test/engine/plan-cli.test.ts,
 * test/engine/cli-errors.test.ts, test/scripts/help.test.ts): the exit code a process returns and
 * what it prints outside the command's own writes are proven there.
 */
import { format } from "node:util";
import { vi } from "vitest";
import { runPlanCli } from "../../engine/cli/plan";

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

let running = false;

export async function planInProcess(args: readonly string[]): Promise<CliRun> {
  if (running) throw new Error("planInProcess: one run at a time (the Pulumi runtime is global to the process)");
  running = true;
  let stdout = "";
  let stderr = "";
  const out = (...a: unknown[]): void => void (stdout += `${format(...a)}\n`);
  const err = (...a: unknown[]): void => void (stderr += `${format(...a)}\n`);
  const spies = [
    vi.spyOn(console, "log").mockImplementation(out),
    vi.spyOn(console, "info").mockImplementation(out),
    vi.spyOn(console, "warn").mockImplementation(err),
    vi.spyOn(console, "error").mockImplementation(err),
  ];
  const rejections: unknown[] = [];
  const listeners = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", (reason) => rejections.push(reason));
  vi.resetModules();
  try {
    const status = await runPlanCli(args, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
    // Let the runtime's settled promises be reported before the listeners are restored.
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    const unreported = rejections.filter((r) => !stderr.includes(r instanceof Error ? r.message : String(r)));
    if (unreported.length > 0) {
      throw new Error(`npm run plan -- ${args.join(" ")}: unhandled rejection(s) the command did not report:\n${unreported.map((r) => (r instanceof Error ? (r.stack ?? r.message) : String(r))).join("\n")}`);
    }
    return { status, stdout, stderr };
  } finally {
    process.removeAllListeners("unhandledRejection");
    for (const listener of listeners) process.on("unhandledRejection", listener);
    for (const spy of spies) spy.mockRestore();
    vi.resetModules();
    running = false;
  }
}
