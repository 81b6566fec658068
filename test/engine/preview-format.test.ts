import { describe, expect, it } from "vitest";
import type { PolicyReport } from "../../engine/policy-runner";
import { formatPolicyTable } from "../../engine/policy-runner";
import { previewPlans } from "../../engine/preview";
import { fit, formatPolicyForTerminal, formatSummary, paint, terminalStyle, wrap, type Style } from "../../engine/preview-format";
import { createProgress } from "../../engine/preview-progress";
import { loadPlan } from "../fixtures/plans/builder";

const dev = loadPlan("delivery-dev");
const plain: Style = { color: false, width: Infinity };

const tty = (columns: number) => ({ isTTY: true, columns }) as unknown as NodeJS.WriteStream;

describe("terminalStyle", () => {
  it("colours a TTY only, and never with NO_COLOR; fits lines to the terminal, not to a CI log", () => {
    expect(terminalStyle(tty(100), {})).toEqual({ color: true, width: 100 });
    expect(terminalStyle(tty(100), { NO_COLOR: "1" })).toEqual({ color: false, width: 100 });
    expect(terminalStyle({ isTTY: false } as unknown as NodeJS.WriteStream, {})).toEqual({ color: false, width: Infinity });
    expect(paint({ color: true, width: 80 }, "green", "+")).toBe("\u001b[32m+\u001b[39m");
    expect(paint(plain, "green", "+")).toBe("+");
  });
});

describe("wrap and fit", () => {
  it("wraps at spaces with a hanging indent, and cuts with an ellipsis", () => {
    const lines = wrap("one two three four five six seven", 12, "  ");
    expect(lines).toEqual(["one two", "  three four", "  five six", "  seven"]);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(12);
    expect(fit("abcdefgh", 5)).toBe("abcd…");
    expect(wrap("short", Infinity, "  ")).toEqual(["short"]);
  });
});

describe("formatSummary", () => {
  it("prints one line per component with its counts, and each changed resource under it", async () => {
    const changed = { ...dev, resources: dev.resources.map((r) => (r.name === "monitoring-workspace" ? { ...r, inputs: { ...r.inputs, retentionInDays: 90 } } : r)) };
    const lines = formatSummary(await previewPlans(dev, changed), changed, plain, { diff: true }).split("\n");
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^ {5}Type +Name +Plan$/);
    expect(lines[1]).toMatch(/^ ~ {3}monitoring:Observability +monitoring +~ 1 to update, \d+ unchanged$/);
    expect(lines[2]).toMatch(/^ ~ {3}├─ operationalinsights:Workspace +monitoring-workspace +update +\[diff: retentionInDays\]$/);
    expect(lines[3]).toBe("          ~ retentionInDays: 30 → 90");
    expect(lines[4]).toMatch(/^ {5}\d+ components unchanged \(\d+ resources\)$/);
  });

  it("lists a resource directly under the stack by its own type and name, not as a component", async () => {
    const top = dev.resources.filter((r) => r.custom && dev.resources.find((p) => p.urn === r.parent)?.type === "pulumi:pulumi:Stack");
    expect(top.map((r) => r.type)).toEqual(["azure-native:resources:ResourceGroup"]);
    const lines = formatSummary(await previewPlans(undefined, dev), dev, plain).split("\n");
    const row = lines.find((l) => l.includes(top[0]!.name) && l.includes("resources:ResourceGroup"));
    expect(row).toMatch(/^ \+ {3}resources:ResourceGroup +\S+ +create$/);
    expect(lines.join("\n")).not.toMatch(/\(top +level\)/);
  });
});

describe("formatPolicyForTerminal", () => {
  const report: PolicyReport = {
    project: "p",
    stack: "dev",
    configSource: "none",
    policies: [],
    resourcesEvaluated: 1,
    mandatory: 1,
    advisory: 0,
    violations: [
      { policy: "st-network", enforcementLevel: "mandatory", urn: "u", type: "azure-native:storage:StorageAccount", name: "messaging-account", message: "storage account accepts traffic from any network: ".repeat(6).trim() },
    ],
  };

  it("wraps each message under its violation to the terminal's width", () => {
    const text = formatPolicyForTerminal(report, { color: false, width: 80 }, formatPolicyTable);
    const lines = text.split("\n");
    expect(lines).toContain("mandatory  st-network  storage:StorageAccount messaging-account");
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines.filter((l) => l.startsWith("    storage account") || l.startsWith("    ")).length).toBeGreaterThan(2);
  });

  it("keeps the runner's one-line table in CI logs", () => {
    expect(formatPolicyForTerminal(report, plain, formatPolicyTable)).toBe(formatPolicyTable(report));
  });
});

describe("createProgress", () => {
  const sink = (isTTY: boolean) => {
    const out: string[] = [];
    return { out, stream: { isTTY, write: (t: string) => out.push(t) } };
  };

  it("rewrites one line on a TTY and leaves the results", () => {
    const { out, stream } = sink(true);
    const p = createProgress(stream);
    p.phase("evaluating the program");
    p.done("program evaluated: 3 resources registered in 1.00 s");
    p.end();
    expect(out.join("")).toBe("\r\u001b[2Kevaluating the program…\r\u001b[2Kprogram evaluated: 3 resources registered in 1.00 s\n\r\u001b[2K");
  });

  it("prints a plain line per finished phase elsewhere, and nothing when silenced", () => {
    const { out, stream } = sink(false);
    const p = createProgress(stream);
    p.phase("running policies");
    p.tick("1");
    p.done("policies run");
    expect(out).toEqual(["policies run\n"]);
    const quiet = sink(false);
    const q = createProgress(quiet.stream, { silent: true });
    q.phase("x");
    q.done("y");
    expect(quiet.out).toEqual([]);
  });
});
