/**
 * Evaluates one real stack with the offline engine twice, as a new stack's first `pulumi preview`
 * (`dryRun`) and as a preview, and writes both plans as JSON with what each evaluation printed (run in
 * its own process by ./stack-plans.ts). The second evaluation loads the program's modules afresh
 * (`reloadProgram`, as `npm run plan -- --report` does for its fresh-stack pass): a process per plan
 * would load @pulumi/pulumi, azure-native and the program's transform again. The preview goes second on
 * purpose: test/engine/plan-cli.test.ts compares it byte for byte with the plan of a process of its own.
 *
 * usage: node --import tsx test/helpers/stack-plan.child.ts <stack> <fresh.json> <preview.json>
 * Each plan's output gets `<file>.stderr` (the program's warnings) next to it.
 */
import { renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { planStack } from "../../engine/plan";

/** What the evaluation wrote on stderr (the program's warnings), kept for this plan alone. */
async function capturingStderr<T>(evaluate: () => Promise<T>): Promise<{ result: T; printed: string }> {
  const write = process.stderr.write;
  let printed = "";
  process.stderr.write = ((chunk: string | Uint8Array) => {
    printed += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    return { result: await evaluate(), printed };
  } finally {
    process.stderr.write = write;
  }
}

/** Written whole, then renamed: a test waiting for the file never reads half of it. */
function writeWhole(file: string, text: string): void {
  writeFileSync(`${file}.partial`, text);
  renameSync(`${file}.partial`, file);
}

async function main(): Promise<void> {
  const [stack, freshOut, previewOut] = process.argv.slice(2);
  if (!stack || !freshOut || !previewOut) throw new Error("usage: stack-plan.child.ts <stack> <fresh.json> <preview.json>");
  const projectDir = path.resolve(__dirname, "../..");
  const runs = [
    { out: freshOut, dryRun: true, reloadProgram: false },
    { out: previewOut, dryRun: false, reloadProgram: true },
  ];
  for (const run of runs) {
    const { result: plan, printed } = await capturingStderr(() => planStack({ stack, projectDir, dryRun: run.dryRun, reloadProgram: run.reloadProgram }));
    const json = JSON.stringify(plan);
    // Tests read the plan back from JSON: it must be exactly what planStack returned (no undefined,
    // no class instance, no non-finite number lost on the way).
    if (!isDeepStrictEqual(JSON.parse(json), plan)) throw new Error(`the ${stack} plan does not survive a JSON round trip`);
    // The warnings first: the plan's file is what a waiting test looks for.
    writeWhole(`${run.out}.stderr`, printed);
    writeWhole(run.out, json);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
