/**
 * The README's cost table quotes the estimate of each real stack (`npm run plan -- --stack <s>` prints
 * the same "Cost:" line): this test prices both plans and fails when a figure in the table drifts.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { estimateCost } from "../../engine/cost/estimate";
import { readStackFiles } from "../../engine/plan";
import { usd } from "../../engine/report";
import { parseStackConfig } from "../../lib/config";
import { stackPlan } from "../helpers/stack-plans";

const root = path.resolve(__dirname, "../..");
const readme = readFileSync(path.join(root, "README.md"), "utf8");

/** `| dev | **$4.22** | $0.25 | …` → the idle and per-1,000-orders figures as written. */
function quoted(stack: string): { idle: string; perThousand: string } {
  const row = new RegExp(`^\\| ${stack} \\| \\*\\*(\\$[\\d,.]+)\\*\\* \\| (\\$[\\d,.]+) \\|`, "m").exec(readme);
  if (!row) throw new Error(`README.md has no cost row for ${stack} ("| ${stack} | **$…** | $… |")`);
  return { idle: row[1]!, perThousand: row[2]! };
}

const figures: Record<string, { idle: string; perThousand: string }> = {};

beforeAll(async () => {
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
  const stacks = ["dev", "prod"] as const;
  const plans = await Promise.all(stacks.map((stack) => stackPlan(stack)));
  for (const [i, stack] of stacks.entries()) {
    const plan = plans[i]!;
    const cost = estimateCost(plan, parseStackConfig(stack, readStackFiles(root, stack).config).costAssumptions);
    figures[stack] = { idle: usd(cost.idle.total), perThousand: usd(cost.perThousandOrders.marginal) };
  }
}, 180_000);

describe("README cost table", () => {
  it.each(["dev", "prod"])("quotes the %s stack's estimate (idle per month, per 1,000 orders)", (stack) => {
    expect(quoted(stack)).toEqual(figures[stack]);
  });
});
