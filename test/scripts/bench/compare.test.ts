import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { formatColdStarts } from "../../../scripts/bench/cold-start";
import { bundlingCeilings, compareFigures, compareFiles, invocationFloors, readFigures, recordPage, type BenchFigures } from "../../../scripts/bench/compare";

const head: BenchFigures = {
  loadAverage: [1.5, 1, 0.5],
  requirePulumiS: 0.5,
  planWarm: { wallS: 1.5, cpuS: 1.9 },
  planAfterEdit: { wallS: 4, cpuS: 6 },
  planFresh: { wallS: 9 },
  testS: 130,
  coldStarts: [
    { service: "orders", bareMs: 40, bundledLoadMs: 70, unbundledLoadMs: 350, bundledInvokeMs: 130 },
    { service: "fulfillment", bareMs: 40, bundledLoadMs: 100, unbundledLoadMs: 300 },
  ],
  benchS: 40,
};
const base: BenchFigures = { ...head, planAfterEdit: { wallS: 8 }, testS: undefined, coldStarts: [{ service: "orders", bareMs: 40, bundledLoadMs: 120, unbundledLoadMs: 240, bundledInvokeMs: 140 }] };

const row = (markdown: string, figure: string): string[] => {
  const line = markdown.split("\n").find((l) => l.startsWith(`| ${figure} |`));
  expect(line, figure).toBeDefined();
  return line!.split("|").slice(1, -1).map((c) => c.trim());
};

describe("bench compare (the pull request's speed table)", () => {
  it("puts each figure next to the base's with the change and the pull request's verdict against its target", () => {
    const md = compareFigures(base, head);
    expect(row(md, "prod plan + report, warm, after one edit")).toEqual(["prod plan + report, warm, after one edit", "≤ 3 s", "8.00 s", "4.00 s", "-50%", "**MISS**"]);
    expect(row(md, "prod plan + report, fresh clone")).toEqual(["prod plan + report, fresh clone", "≤ 10 s", "9.00 s", "9.00 s", "+0%", "MET"]);
    // A figure the base does not have stays empty, never guessed.
    expect(row(md, "`npm test` wall")).toEqual(["`npm test` wall", "≤ 120 s", "—", "130.00 s", "—", "**MISS**"]);
    expect(row(md, "orders: load + register / bare node")).toEqual(["orders: load + register / bare node", "≤ 2x", "3.00x", "1.75x", "-42%", "MET"]);
    expect(row(md, "orders: unbundled / bundled load")).toEqual(["orders: unbundled / bundled load", "≥ 4x", "2.00x", "5.00x", "+150%", "MET"]);
    // Measured in the head only, and a first invocation nobody measured: UNKNOWN, not MET.
    expect(row(md, "fulfillment: load + register / bare node").slice(2)).toEqual(["—", "2.50x", "—", "**MISS**"]);
    expect(row(md, "fulfillment: first invocation / bare node").slice(2)).toEqual(["—", "—", "—", "UNKNOWN"]);
    expect(md).toContain("Load average (1/5/15 min) at each bench's start: base 1.50 1.00 0.50; this PR 1.50 1.00 0.50.");
  });

  it("says why the base column is empty", () => {
    const md = compareFigures(undefined, head, { baseMissing: "the base branch predates the bench" });
    expect(md).toContain("No figures for the base branch (the base branch predates the bench): this pull request's figures only.");
    expect(row(md, "`npm run bench` run time")).toEqual(["`npm run bench` run time", "≤ 90 s", "—", "40.00 s", "—", "MET"]);
  });

  it("reads a figures file, and names the file and field of one that does not fit", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "bench-compare-"));
    const good = path.join(dir, "good.json");
    writeFileSync(good, JSON.stringify({ ...head, somethingNewer: 1 }));
    expect(readFigures(good).planWarm).toEqual({ wallS: 1.5, cpuS: 1.9 });
    const bad = path.join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ planWarm: { wallS: "fast" } }));
    expect(() => readFigures(bad)).toThrow(`${bad}: planWarm.wallS: Invalid input: expected number, received string`);
    const broken = path.join(dir, "broken.json");
    writeFileSync(broken, "{");
    expect(() => readFigures(broken)).toThrow(`${broken}: not a JSON figures file`);
    // A base of another shape does not stop the table: it says why and shows this pull request's figures.
    const table = compareFiles(good, bad);
    expect(table).toContain(`No figures for the base branch (unreadable: ${bad}: planWarm.wallS: Invalid input: expected number, received string)`);
    expect(row(table, "`npm run bench` run time").slice(2)).toEqual(["—", "40.00 s", "—", "MET"]);
    expect(compareFiles(good, path.join(dir, "absent.json"))).toContain("does not exist: the base branch predates the bench or its bench failed");
    // The pull request's own figures must read.
    expect(() => compareFiles(bad, good)).toThrow(`${bad}: planWarm.wallS`);
  });

  it("says when unbundled / bundled is out of any bundle's reach (unbundled / bare under the target), in the table, the docs page and the console", () => {
    // orders: unbundled 350 ms over bare 40 ms = 8.75x, so a bundle could reach 4x; fulfillment's 300 ms = 7.5x too.
    expect(bundlingCeilings(head)).toEqual([]);
    expect(compareFigures(base, head)).not.toContain("out of any bundle's reach");
    const fast: BenchFigures = { ...head, coldStarts: [{ service: "catalog", bareMs: 35, bundledLoadMs: 60, unbundledLoadMs: 81 }, ...head.coldStarts!] };
    const note =
      "Unbundled / bundled load cannot exceed unbundled / bare node (a bundle that cost nothing would still load in bare node's time): catalog 2.31x. " +
      "Below 4x, the 4x target is out of any bundle's reach: the unbundled app itself already loads in under 4x bare node's time.";
    expect(bundlingCeilings(fast)).toEqual([note]);
    expect(compareFigures(base, fast)).toContain(`\n${note}\n`);
    expect(recordPage({ recordedAt: "2026-12-04T00:00:00.000Z", commit: "0".repeat(40), node: "v20.20.2", cores: 2, figures: fast })).toContain(`\n${note}\n`);
    // The console table prints the same ceiling next to the ratio.
    const [header, line] = formatColdStarts([{ service: "catalog", bareMs: 35, bundledLoadMs: 60, unbundledLoadMs: 81, invocation: "GET health: HTTP 200", registered: 5, bundleBytes: 1 }]);
    expect(header).toContain("unbundled/bundled (≥4x; most reachable)");
    expect(line).toContain("1.35x MISS (≤2.31x)");
  });

  it("says when a first invocation's MISS is out of reach of how its code runs (its code alone loads in more than 3x bare), in the table and the docs page", () => {
    // No floor measured (an older figures file): nothing said, never a guessed bound.
    expect(invocationFloors(head)).toEqual([]);
    const measured: BenchFigures = {
      ...head,
      coldStarts: [
        { service: "notifications", bareMs: 20, bundledLoadMs: 34, bundledInvokeMs: 100, bundledInvokeCodeMs: 82 },
        { service: "fulfillment", bareMs: 20, bundledLoadMs: 34, bundledInvokeMs: 80, bundledInvokeCodeMs: 50 },
        // Meets its target: its floor is no reason for a note.
        { service: "catalog", bareMs: 20, bundledLoadMs: 34, bundledInvokeMs: 50, bundledInvokeCodeMs: 33 },
      ],
    };
    const note =
      "A first invocation cannot take less than loading the code it runs (the files it loaded, imported by a fresh process that runs none of them): notifications 4.10x, fulfillment 2.50x bare node's time. " +
      "Above 3x (notifications), no change to how that code runs can meet the 3x target: only loading less code can (lighter libraries, or chunks that hold only what the invocation needs). " +
      "Under 3x (fulfillment), running that code faster could still meet it.";
    expect(invocationFloors(measured)).toEqual([note]);
    expect(compareFigures(base, measured)).toContain(`\n\n${note}\n`);
    expect(recordPage({ recordedAt: "2026-12-04T00:00:00.000Z", commit: "0".repeat(40), node: "v20.20.2", cores: 2, figures: measured })).toContain(`\n\n${note}\n`);
    // Every service within reach: the note says so and nothing more.
    const reachable: BenchFigures = { ...measured, coldStarts: [measured.coldStarts![1]!] };
    expect(invocationFloors(reachable)).toEqual([
      "A first invocation cannot take less than loading the code it runs (the files it loaded, imported by a fresh process that runs none of them): fulfillment 2.50x bare node's time. Under 3x (fulfillment), running that code faster could still meet it.",
    ]);
    // The figure survives a figures file.
    const dir = mkdtempSync(path.join(tmpdir(), "bench-floor-"));
    writeFileSync(path.join(dir, "f.json"), JSON.stringify(measured));
    expect(readFigures(path.join(dir, "f.json")).coldStarts![0]!.bundledInvokeCodeMs).toBe(82);
  });

  it("says how much CPU time the host stole while `npm test` ran, for each side that recorded it", () => {
    expect(compareFigures(base, head)).not.toContain("stole");
    const md = compareFigures({ ...base, testStealS: 6.04 }, { ...head, testStealS: 65 });
    expect(md).toContain("\nCPU time the host stole while `npm test` ran (it lengthens the wall time): base 6.0 s; this PR 65.0 s.\n");
    expect(compareFigures(undefined, { ...head, testStealS: 0 })).toContain("(it lengthens the wall time): this PR 0.0 s.\n");
    const page = recordPage({ recordedAt: "2026-12-04T00:00:00.000Z", commit: "0".repeat(40), node: "v20.20.2", cores: 2, figures: { ...head, testStealS: 6.7 } });
    expect(page).toContain("\nCPU time the host stole while `npm test` ran (it lengthens the wall time): 6.7 s.\n");
    expect(compareFigures({ ...base, benchStealS: 1.25 }, { ...head, benchStealS: 20 })).toContain("\nCPU time the host stole while each bench ran: base 1.3 s; this PR 20.0 s.\n");
    expect(compareFigures(base, head)).not.toContain("while each bench ran");
    const benchPage = recordPage({ recordedAt: "2026-12-04T00:00:00.000Z", commit: "0".repeat(40), node: "v20.20.2", cores: 2, figures: { ...head, benchStealS: 0 } });
    expect(benchPage).toContain("\nCPU time the host stole while the bench ran: 0.0 s.\n");
  });

  it("says which Node.js the cold starts ran on (bare node's start, the ratios' baseline, differs between majors)", () => {
    expect(compareFigures(base, head)).toContain("\nCold starts ran on Node — (base: —): bare node's start");
    const on = (f: BenchFigures, node: string): BenchFigures => ({ ...f, coldStarts: f.coldStarts!.map((c) => ({ ...c, node })) });
    expect(compareFigures(on(base, "v20.20.2"), on(head, "v22.23.5"))).toContain("\nCold starts ran on Node v22.23.5 (base: v20.20.2): bare node's start, the baseline of each ratio, differs between majors.\n");
    const page = recordPage({ recordedAt: "2026-12-04T00:00:00.000Z", commit: "0".repeat(40), node: "v20.20.2", cores: 2, figures: on(head, "v22.23.5") });
    expect(page).toContain("\nCold starts ran on Node v22.23.5: bare node's start, the baseline of each ratio, differs between majors.\n");
  });
});
