import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { COLD_START_TARGETS } from "../../../scripts/bench/cold-start";
import { parseRecord, recordPage } from "../../../scripts/bench/compare";
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

  it("refuses a record whose own fields are wrong, naming the field", () => {
    const record = JSON.parse(readFileSync(path.join(__dirname, "../../../docs/bench/figures.json"), "utf8")) as Record<string, unknown>;
    expect(() => parseRecord(record, "figures.json")).not.toThrow();
    expect(() => parseRecord({ ...record, commit: "25886bc" }, "figures.json")).toThrow(/^figures.json: commit: expected a full 40-character git commit id$/);
    expect(() => parseRecord({ ...record, recordedAt: "yesterday" }, "figures.json")).toThrow(/^figures.json: recordedAt: /);
    expect(() => parseRecord({ ...record, node: "20" }, "figures.json")).toThrow(/^figures.json: node: /);
    expect(() => parseRecord({ ...record, cores: 0 }, "figures.json")).toThrow(/^figures.json: cores: /);
    const { figures: _dropped, ...withoutFigures } = record;
    expect(() => parseRecord(withoutFigures, "figures.json")).toThrow(/^figures.json: figures: /);
  });

  it("backs the README's word on the queue apps: their first invocation's code alone loads in more than 3x bare node", () => {
    const readme = readFileSync(path.join(__dirname, "../../../README.md"), "utf8").replace(/\s+/g, " ");
    expect(readme).toContain("For the queue apps that alone is above the 3x target");
    const { figures } = readRecord();
    const queueApps = ["fulfillment", "notifications"];
    for (const service of queueApps) {
      const row = figures.coldStarts?.find((c) => c.service === service);
      expect(row?.bundledInvokeCodeMs, `${service}: the recorded run has no "its code alone" figure; record a new run`).toBeDefined();
      expect(row!.bundledInvokeCodeMs! / row!.bareMs, `${service}: its code alone is now under 3x bare node; update the README's sentence`).toBeGreaterThan(COLD_START_TARGETS.invocationOverBare);
    }
  });

  it("is what the README points to for the speed figures", () => {
    const readme = readFileSync(path.join(__dirname, "../../../README.md"), "utf8");
    expect(readme).toContain("[docs/BENCH.md](docs/BENCH.md)");
  });
});
