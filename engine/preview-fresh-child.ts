/**
 * The second process of `npm run plan -- --report` (engine/preview-fresh.ts `startFreshStackPass`):
 * evaluates the stack as a new stack's first preview, through the plan cache as the command would
 * (so the entry records the files this process loaded), runs the policies on it, and writes the
 * outcome, or the command's own words for a failure, to the result file.
 *
 *   node --import tsx engine/preview-fresh-child.ts '<FreshStackChildRequest JSON>' <result file>
 */
import { writeFileSync } from "node:fs";
import { planStack } from "./plan";
import { cachedPlan } from "./plan-cache";
import type { FreshStackChildRequest, FreshStackOutcome } from "./preview-fresh";
import { freshStackPass } from "./preview-fresh";

async function run(request: FreshStackChildRequest): Promise<FreshStackOutcome> {
  const target = { stack: request.stack, projectDir: request.projectDir, ...(request.program ? { program: request.program } : {}) };
  const evaluate = (): ReturnType<typeof planStack> => planStack({ ...target, dryRun: true });
  const evaluated = request.useCache ? await cachedPlan({ ...target, dryRun: true }, evaluate) : { plan: await evaluate(), hit: false };
  const fresh = await freshStackPass({ ...target, plan: evaluated.plan });
  return { fresh, hit: evaluated.hit, ...(evaluated.reason !== undefined ? { reason: evaluated.reason } : {}) };
}

if (require.main === module) {
  const [requestJson, resultFile] = process.argv.slice(2);
  const write = (result: unknown): void => writeFileSync(resultFile!, JSON.stringify(result));
  const fail = (e: unknown): void => {
    // The command's own words and exit code for the failure (a user's mistake or a bug of ours).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { reportFailure } = require("./cli/plan") as typeof import("./cli/plan");
    write({ failure: reportFailure(e) });
    process.exit(0);
  };
  process.on("unhandledRejection", fail);
  run(JSON.parse(requestJson!) as FreshStackChildRequest).then((outcome) => {
    write({ outcome });
    process.exit(0);
  }, fail);
}
