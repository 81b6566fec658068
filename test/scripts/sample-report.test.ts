import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderSampleReport, SAMPLE_FILE } from "../../scripts/sample-report";
import { stackPlan } from "../helpers/stack-plans";

describe("docs/SAMPLE-REPORT-dev.md", () => {
  it("is what `npx tsx scripts/sample-report.ts` renders today (regenerate it when this fails)", async () => {
    // The script's own plans are the run's shared dev plans (the same planStack results).
    const rendered = await renderSampleReport({ plan: await stackPlan("dev"), freshPlan: await stackPlan("dev", { fresh: true }) });
    expect(readFileSync(SAMPLE_FILE, "utf8")).toBe(rendered);
  }, 240_000);
});
