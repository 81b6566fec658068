/**
 * `npx tsx engine/cli/lock-guard.ts --preview <preview.json> [--locks <locks.json>]`
 * `npx tsx engine/cli/lock-guard.ts --base-plan <base.json> --plan <head.json> [--locks <locks.json>]`
 *
 * Refuses an update that deletes or replaces a resource under a management lock (see
 * ../lock-guard.ts), before `pulumi up` runs it. `--preview` takes `pulumi preview --json` output;
 * `--locks` takes `az lock list --output json` (locks Pulumi does not manage too).
 *
 * Exit codes: 0 nothing locked is removed, 1 something is (each one named, with what to do), 2 usage
 * errors and unreadable files.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { findLockedRemovals, locksFromAzList, readPlans, readPreview, type Lock, type Removal } from "../lock-guard";
import { readPlanFile } from "../policy-runner";
import type { CliIo } from "./policy";

const USAGE = `usage: npx tsx engine/cli/lock-guard.ts --preview <pulumi-preview.json> [--locks <az-lock-list.json>]
       npx tsx engine/cli/lock-guard.ts --base-plan <base-plan.json> --plan <plan.json> [--locks <az-lock-list.json>]`;

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`${what} ${file} cannot be read: ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} ${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

/** Runs the command with `argv` (without node and the script); returns the exit code. */
export function runLockGuardCli(argv: readonly string[], io: CliIo = { out: console.log, err: console.error }): number {
  let values: { preview?: string; locks?: string; "base-plan"?: string; plan?: string };
  try {
    values = parseArgs({
      args: [...argv],
      options: { preview: { type: "string" }, locks: { type: "string" }, "base-plan": { type: "string" }, plan: { type: "string" } },
      strict: true,
    }).values;
  } catch (e) {
    io.err(`error: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const offline = values["base-plan"] !== undefined || values.plan !== undefined;
  if ((values.preview === undefined) === !offline || (offline && (!values["base-plan"] || !values.plan))) {
    io.err(`error: give --preview, or --base-plan with --plan\n${USAGE}`);
    return 2;
  }
  let removals: Removal[];
  let locks: Lock[];
  try {
    const read = values.preview !== undefined ? readPreview(readJson(values.preview, "preview")) : readPlans(readPlanFile(values["base-plan"]!), readPlanFile(values.plan!));
    removals = read.removals;
    locks = [...read.locks, ...(values.locks !== undefined ? locksFromAzList(readJson(values.locks, "lock list")) : [])];
  } catch (e) {
    io.err(`error: ${(e as Error).message}`);
    return 2;
  }
  const violations = findLockedRemovals(removals, locks);
  if (violations.length === 0) {
    io.out(`lock guard: ${removals.length} delete/replace step(s), ${locks.length} lock(s); nothing locked is deleted.`);
    return 0;
  }
  for (const v of violations) io.err(v.message);
  io.err(`\nlock guard: ${violations.length} step(s) would fail on a lock; nothing was changed. Do as each message says, then run the deployment again.`);
  return 1;
}

// Run only as a script (tests import runLockGuardCli).
if (typeof require !== "undefined" && require.main === module) process.exitCode = runLockGuardCli(process.argv.slice(2));
