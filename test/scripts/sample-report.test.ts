import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderSampleReport, SAMPLE_FILE } from "../../scripts/sample-report";

describe("docs/SAMPLE-REPORT-dev.md", () => {
  it("is what `npx tsx scripts/sample-report.ts` renders today (regenerate it when this fails)", async () => {
    const rendered = await renderSampleReport();
    expect(readFileSync(SAMPLE_FILE, "utf8")).toBe(rendered);
  }, 240_000);
});
