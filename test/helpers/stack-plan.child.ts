/**
 * Evaluates one real stack with the offline engine and writes its plan as JSON (run in its own process
 * by ./stack-plans.ts: the Pulumi runtime holds global state, so one stack per process).
 *
 * usage: node --import tsx test/helpers/stack-plan.child.ts <stack> <fresh|preview> <out.json>
 */
import { renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { planStack } from "../../engine/plan";

async function main(): Promise<void> {
  const [stack, mode, out] = process.argv.slice(2);
  if (!stack || (mode !== "fresh" && mode !== "preview") || !out) {
    throw new Error("usage: stack-plan.child.ts <stack> <fresh|preview> <out.json>");
  }
  const plan = await planStack({ stack, projectDir: path.resolve(__dirname, "../.."), dryRun: mode === "fresh" });
  const json = JSON.stringify(plan);
  // Tests read the plan back from JSON: it must be exactly what planStack returned (no undefined,
  // no class instance, no non-finite number lost on the way).
  if (!isDeepStrictEqual(JSON.parse(json), plan)) throw new Error(`the ${stack} plan does not survive a JSON round trip`);
  // Written whole, then renamed: a test waiting for the file never reads half of it.
  writeFileSync(`${out}.partial`, json);
  renameSync(`${out}.partial`, out);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
