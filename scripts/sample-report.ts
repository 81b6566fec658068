/**
 * Regenerates docs/SAMPLE-REPORT-dev.md, the pull-request report of the dev stack planned as a new
 * stack (no baseline), with exactly the code of `npm run plan -- --stack dev --no-baseline --report`:
 *
 *   npx tsx scripts/sample-report.ts
 *
 * The clock of the date rules (Node.js end of life) is pinned to SAMPLE_DATE so the sample does not
 * change with the calendar; test/scripts/sample-report.test.ts fails when the file drifts from what
 * this renders.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { planStack, readStackFiles } from "../engine/plan";
import type { Plan } from "../engine/plan-format";
import { evaluatePolicies } from "../engine/policy-runner";
import { previewPlans } from "../engine/preview";
import { freshStackPass } from "../engine/preview-fresh";
import { priceStack, renderReport } from "../engine/report";
import { createPolicies } from "../policy/rules";

const ROOT = path.resolve(__dirname, "..");
export const SAMPLE_FILE = path.join(ROOT, "docs", "SAMPLE-REPORT-dev.md");
/** The date the sample's policy verdicts are taken at. */
export const SAMPLE_DATE = "2026-12-03T00:00:00Z";

/**
 * The sample, from the dev plan and the dev plan as a new stack (`dryRun`) when the caller already has
 * them (test/scripts/sample-report.test.ts passes the test run's shared plans, the same `planStack`
 * results); by default both are evaluated here.
 */
export async function renderSampleReport(given: { readonly plan?: Plan; readonly freshPlan?: Plan } = {}): Promise<string> {
  const policies = createPolicies({ now: () => new Date(SAMPLE_DATE) });
  const plan = given.plan ?? (await planStack({ stack: "dev", projectDir: ROOT }));
  const preview = await previewPlans(undefined, plan);
  const policy = evaluatePolicies(plan, { stack: "dev", policies });
  const prices = priceStack(plan, undefined, readStackFiles(ROOT, "dev").config);
  const freshStack = given.freshPlan
    ? { plan: given.freshPlan, policy: evaluatePolicies(given.freshPlan, { stack: "dev", policies }) }
    : await freshStackPass({ stack: "dev", projectDir: ROOT, policies });
  return renderReport({ plan, preview, policy, ...prices, freshStack });
}

if (require.main === module) {
  renderSampleReport().then(
    (markdown) => {
      writeFileSync(SAMPLE_FILE, markdown);
      console.log(`written ${path.relative(process.cwd(), SAMPLE_FILE)}`);
    },
    (e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
      process.exitCode = 1;
    },
  );
}
