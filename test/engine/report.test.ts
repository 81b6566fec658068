import { describe, expect, it } from "vitest";
import { estimateCost } from "../../engine/cost/estimate";
import { countByComponent, diffPlans, renderReport, usd, withoutCountdowns, type PolicyReport } from "../../engine/report";
import { loadPlan, resource } from "../fixtures/plans/builder";

const dev = loadPlan("delivery-dev");
const cost = estimateCost(dev, { ordersPerMonth: 1000 });
const policy: PolicyReport = {
  violations: [
    { policy: "web-http2", enforcementLevel: "advisory", urn: "u1", type: "azure-native:web:WebApp", name: "orders-app", message: "http20Enabled should be true" },
    { policy: "cosmos-public", enforcementLevel: "mandatory", urn: "u2", type: "azure-native:cosmosdb:DatabaseAccount", name: "data-account", message: "public network | access is enabled" },
  ],
};

describe("renderReport", async () => {
  const md = await renderReport({ plan: dev, policy, cost });
  const base = { ...dev, resources: dev.resources.filter((r) => r.name !== "monitoring-poison-messages") };
  const changed = {
    ...dev,
    resources: dev.resources.map((r) => (r.name === "monitoring-workspace" ? { ...r, inputs: { ...r.inputs, retentionInDays: 90 } } : r)),
  };
  const diffed = await renderReport({ plan: changed, cost: estimateCost(changed, { ordersPerMonth: 1000 }), basePlan: base, baselineName: ".plan/base-dev.json", baseCost: estimateCost(base, { ordersPerMonth: 1000 }), policy });
  const sections = (text: string): string[] => text.split("\n").filter((l) => /^#{2,3} /.test(l));

  it("opens with the CLI's summary line and cost line, then the changes, the cost change, then policy", () => {
    expect(md.split("\n").slice(0, 5)).toEqual([
      "# Plan: stack `dev`",
      "",
      `**Resources: + ${dev.resources.length} to create, ~ 0 to update, +- 0 to replace, - 0 to delete, 0 unchanged**`,
      "",
      "Cost: idle $2.69/month, $0.25 per 1,000 orders (marginal) · ❌ 1 mandatory policy violation(s)",
    ]);
    expect(sections(diffed)).toEqual(["## Changes", "### Security-relevant changes", "## Cost change", "## Policy", "## Cost estimate", "## Resources", "## Architecture"]);
    expect(diffed).toContain("Cost: idle $2.89/month (+$0.70), $0.25 per 1,000 orders (marginal, ±$0.00)");
  });

  it("says a report without a baseline is the plan of a new stack and groups the additions by component", () => {
    expect(md).toContain("No baseline: the plan of a new stack, everything is created.");
    expect(md).toMatch(/<summary>Added cloud resources, by component \(\d+\)<\/summary>/);
    expect(md).toMatch(/\| `web:FunctionApp orders` \| \+ 3 \| [^|]*1 web:WebApp/);
  });

  it("lists updates with their properties and old → new values, additions by component", () => {
    expect(diffed).toContain("Against `.plan/base-dev.json`.");
    expect(diffed).toContain("| ~ update | `operationalinsights:Workspace` | monitoring-workspace | monitoring:Observability monitoring | retentionInDays |");
    expect(diffed).toContain("monitoring-workspace: retentionInDays: 30 → 90");
    expect(diffed).toContain("| `monitoring:Observability monitoring` | + 1 | 1 monitor:ScheduledQueryRule |");
    expect(diffed).toContain("**Resources: + 1 to create, ~ 1 to update, +- 0 to replace, - 0 to delete,");
  });

  it("highlights role assignments among the security-relevant changes", async () => {
    const grant = dev.resources.find((r) => r.type === "azure-native:authorization:RoleAssignment")!;
    const without = { ...dev, resources: dev.resources.filter((r) => r !== grant) };
    const out = await renderReport({ plan: dev, cost, basePlan: without });
    expect(out).toMatch(/🔑 Role assignments \(1\)\n\n- \*\*\+ create\*\* \w+ for [^\n]+ on [^\n]+/);
  });

  it("counts resources by component and by type", () => {
    expect(md).toContain("| `serverless-platform:monitoring:Observability monitoring` | 11 |");
    expect(md).toContain("| `serverless-platform:web:FunctionApp orders` | 3 |");
    expect(md).toContain("| `azure-native:storage:Queue` | 4 |");
    expect(countByComponent(dev).get("(top level)")).toBe(1);
  });

  it("lists violations mandatory first, with escaped cells and without day countdowns", async () => {
    const rows = md.split("\n").filter((l) => l.startsWith("| mandatory") || l.startsWith("| advisory"));
    expect(rows).toEqual([
      "| mandatory | `cosmos-public` | `cosmosdb:DatabaseAccount` data-account | public network \\| access is enabled |",
      "| advisory | `web-http2` | `web:WebApp` orders-app | http20Enabled should be true |",
    ]);
    expect(await renderReport({ plan: dev, policy: { violations: [] }, cost })).toContain("✅ No violations.");
    expect(await renderReport({ plan: dev, cost })).toContain("Policy was not evaluated");
    const eol = { policy: "func-node-eol-soon", enforcementLevel: "advisory", urn: "u", type: "azure-native:web:WebApp", name: "orders-app", message: "reaches end of life on 2027-04-30 (in 148 days): move" };
    expect(await renderReport({ plan: dev, policy: { violations: [eol] }, cost })).toContain("| reaches end of life on 2027-04-30: move |");
    expect(withoutCountdowns("x (in 1 day) y (within 12 hours)")).toBe("x y");
  });

  it("itemises the estimate with idle total and cost per 1,000 orders", () => {
    expect(md).toContain("| **Idle** (no orders) | **$2.69** |");
    expect(md).toContain("| **Per 1,000 orders, marginal** (beyond free grants) | **$0.25** |");
    expect(md).toContain("| Per 1,000 orders at that volume (after free grants, excl. idle) | $0.02 |");
    expect(md).toMatch(/\| Application Insights standard availability test executions \(idle\) \| contoso-health-d \| 2,880 execution \| {2}\| \$0\.0005 \/ execution \| \$1\.44 \|/);
    expect(md).toContain("$0.0000004 / execution");
  });

  it("ends with the architecture in a mermaid block and the legend of its conventions", () => {
    expect(md).toMatch(/## Architecture\n\n```mermaid\n%%\{init: [^\n]+\}%%\nflowchart TB\n[\s\S]+\n```\n\nEach box is one service: [^\n]+\n$/);
  });

  it("shows the cost change against the baseline, meter by meter", () => {
    // base: $2.69 − one 15-min log alert ($0.50) = $2.19; head: $2.69 + retention 90 d
    // (1 GB × 59/30 × $0.10 = $0.19667) = $2.89; change +$0.50 + $0.19667 = +$0.70
    expect(diffed).toContain("| Idle monthly | $2.19 | $2.89 | +$0.70 |");
    expect(diffed).toContain("| Log search alert rule, evaluated every 15 minutes or less often | +$0.50 |");
    expect(md).not.toContain("## Cost change");
  });

  it("compares plans of the same stack across branches by URN without the stack", () => {
    const d = diffPlans(dev, { ...dev, resources: [...dev.resources, resource("storage:Queue", "extra", { queueName: "extra" })] });
    expect(d.added.map((r) => r.name)).toEqual(["extra"]);
    expect(d.removed).toEqual([]);
    expect(d.changed).toEqual([]);
  });

  it.each([
    [0, "$0.00"],
    [0.0036, "$0.0036"],
    [2.69009, "$2.69"],
    [1234.5, "$1,234.50"],
    [-0.7, "-$0.70"],
  ])("formats %f as %s", (n, s) => expect(usd(n)).toBe(s));
});
