/**
 * Figures in the docs come from a command: docs/ADDING-A-SERVICE.md's generated block must be what
 * `npm run docs:figures` computes from the plans today, so a change that adds or removes resources
 * fails here until the docs are regenerated.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { Plan, PlannedResource } from "../../engine/plan-format";
import { DOC, compare, computeFigures, render, replaceBlock, runDocFigures, type StackFigures } from "../../scripts/doc-figures";
import { scaffoldedRepository } from "../helpers/scaffolded-copy";
import { stackPlan } from "../helpers/stack-plans";

const resource = (name: string, custom: boolean, inputs: Record<string, unknown> = {}): PlannedResource => ({
  urn: `urn:pulumi:dev::serverless-platform::t:m:${custom ? "Cloud" : "Component"}::${name}`,
  type: `t:m:${custom ? "Cloud" : "Component"}`,
  name,
  custom,
  inputs,
  dependencies: [],
  propertyDependencies: {},
  options: { protect: false, retainOnDelete: false },
  outputs: {},
});
const planOf = (resources: PlannedResource[]): Plan => ({ project: "serverless-platform", stack: "dev", resources, outputs: {} });

describe("docs figures", () => {
  it("counts added, changed and removed resources between two plans", async () => {
    const before = planOf([resource("a", true, { x: 1 }), resource("b", true), resource("gone", true)]);
    const after = planOf([resource("a", true, { x: 2 }), resource("b", true), resource("c", false), resource("d", true)]);
    const f = await compare("dev", before, after);
    expect(f).toMatchObject({ before: 3, after: 4, addedComponents: 1, addedCloud: 1, changed: ["Cloud a"], removed: 1 });
    expect(f.types).toEqual([["t:m:Component", 0, 1]]);
    expect(render([f])).toContain("| dev | 3 → 4 | +2 (1 components + 1 cloud resources) | 1 (`Cloud a`) | 1 |");
  });

  it("refuses a doc without its generated block", () => {
    expect(() => replaceBlock("no markers here", "x")).toThrow(/has no generated block/);
  });

  it("names in the hand-written table only resources the generated list has", () => {
    const doc = readFileSync(DOC, "utf8");
    const generated = doc.slice(doc.indexOf("<!-- BEGIN GENERATED"), doc.indexOf("<!-- END GENERATED"));
    const table = doc.slice(doc.indexOf("| From | Derived |"), doc.indexOf("## How to check it"));
    const named = [...table.matchAll(/`([A-Z][A-Za-z0-9]+) ([a-z][a-z0-9-]*)`/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(named.length).toBeGreaterThan(15);
    for (const resource of named) expect(generated, resource).toMatch(new RegExp(`^\\s*${resource}$|\`${resource}\``, "m"));
  });

  it("docs/ADDING-A-SERVICE.md quotes the figures the plans give today (else: npm run docs:figures)", async () => {
    // What `npm run docs:figures -- --check` compares; the repository's own plans and the scaffolded
    // copy's (doc-figures' own `scaffoldedCopy` and `planProject`) are the run's shared ones.
    const doc = readFileSync(DOC, "utf8");
    const copy = await scaffoldedRepository();
    expect(replaceBlock(doc, render(await computeFigures((stack) => stackPlan(stack), async (stack) => copy.repositoryPlan(stack))))).toBe(doc);
  }, 600_000);

  it("--check exits 1 and writes nothing when the doc drifted, 0 when it matches; without --check it writes the figures", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "doc-figures-cli-"));
    try {
      const doc = path.join(dir, "DOC.md");
      const figures = [await compare("dev", planOf([resource("a", true)]), planOf([resource("a", true), resource("b", true)]))] as StackFigures[];
      const block = render(figures);
      const stale = `# Title\n\n${block.replace("| dev | 1 → 2 |", "| dev | 1 → 3 |")}\n\ntail\n`;
      writeFileSync(doc, stale);
      const lines: string[] = [];
      const io = { doc, figures: () => Promise.resolve(figures), log: (l: string) => lines.push(l), error: (l: string) => lines.push(`E ${l}`) };
      expect(await runDocFigures(["--check"], io)).toBe(1);
      expect(readFileSync(doc, "utf8")).toBe(stale);
      expect(lines.at(-1)).toMatch(/^E .*figures have drifted from the plan; run: npm run docs:figures$/);
      expect(await runDocFigures([], io)).toBe(0);
      expect(readFileSync(doc, "utf8")).toBe(`# Title\n\n${block}\n\ntail\n`);
      expect(await runDocFigures(["--check"], io)).toBe(0);
      expect(await runDocFigures(["--chek"], io)).toBe(2);
      expect(lines.at(-1)).toMatch(/^E error: unknown argument --chek/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
