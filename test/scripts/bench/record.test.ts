import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { recordPage } from "../../../scripts/bench/compare";
import { readRecord, RECORD_PAGE, recordPageIsCurrent } from "../../../scripts/bench/record";

describe("docs/BENCH.md (the recorded bench run)", () => {
  it("is the page of docs/bench/figures.json, so no figure in it was typed by hand", () => {
    expect(recordPageIsCurrent()).toBe(true);
  });

  it("would catch an edited figure", () => {
    const record = readRecord();
    const edited = { ...record, figures: { ...record.figures, planWarm: { ...record.figures.planWarm, wallS: record.figures.planWarm.wallS + 1 } } };
    expect(recordPage(edited)).not.toBe(readFileSync(RECORD_PAGE, "utf8"));
  });

  it("is what the README points to for the speed figures", () => {
    const readme = readFileSync(path.join(__dirname, "../../../README.md"), "utf8");
    expect(readme).toContain("[docs/BENCH.md](docs/BENCH.md)");
  });
});
