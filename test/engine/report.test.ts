import { describe, expect, it } from "vitest";
import { estimateCost } from "../../engine/cost/estimate";
import { countByComponent, diffPlans, renderReport, usd, type PolicyReport } from "../../engine/report";
import { loadPlan, resource } from "../fixtures/plans/builder";

const dev = loadPlan("delivery-dev");
const cost = estimateCost(dev, { ordersPerMonth: 1000 });
const policy: PolicyReport = {
  violations: [
    { policy: "web-http2", enforcementLevel: "advisory", urn: "u1", type: "azure-native:web:WebApp", name: "orders-app", message: "http20Enabled should be true" },
    { policy: "cosmos-public", enforcementLevel: "mandatory", urn: "u2", type: "azure-native:cosmosdb:DatabaseAccount", name: "data-account", message: "public network | access is enabled" },
  ],
};

describe("renderReport", () => {
  const md = renderReport({ plan: dev, policy, cost });

  it("summarises resources, policy and the two cost figures in its first lines", () => {
    const custom = dev.resources.filter((r) => r.custom).length;
    expect(md.split("\n")[0]).toBe("# Plan: stack `dev`");
    expect(md).toContain(`${custom} cloud resources in 9 components · idle **$2.69/month** · **$0.25** per 1,000 orders (marginal) · ❌ 1 mandatory policy violation(s)`);
  });

  it("counts resources by component and by type", () => {
    expect(md).toContain("| `serverless-platform:monitoring:Observability monitoring` | 11 |");
    expect(md).toContain("| `serverless-platform:web:FunctionApp orders` | 3 |");
    expect(md).toContain("| `azure-native:storage:Queue` | 4 |");
    expect(countByComponent(dev).get("(top level)")).toBe(1);
  });

  it("lists violations mandatory first, with escaped cells", () => {
    const rows = md.split("\n").filter((l) => l.startsWith("| mandatory") || l.startsWith("| advisory"));
    expect(rows).toEqual([
      "| mandatory | `cosmos-public` | `azure-native:cosmosdb:DatabaseAccount` data-account | public network \\| access is enabled |",
      "| advisory | `web-http2` | `azure-native:web:WebApp` orders-app | http20Enabled should be true |",
    ]);
    expect(renderReport({ plan: dev, policy: { violations: [] }, cost })).toContain("✅ No violations.");
    expect(renderReport({ plan: dev, cost })).toContain("Policy was not evaluated");
  });

  it("itemises the estimate with idle total and cost per 1,000 orders", () => {
    expect(md).toContain("| **Idle** (no orders) | **$2.69** |");
    expect(md).toContain("| **Per 1,000 orders, marginal** (beyond free grants) | **$0.25** |");
    expect(md).toContain("| Per 1,000 orders at that volume (after free grants, excl. idle) | $0.02 |");
    expect(md).toMatch(/\| Application Insights standard availability test executions \(idle\) \| contoso-health-d \| 2,880 execution \| {2}\| \$0\.0005 \/ execution \| \$1\.44 \|/);
    expect(md).toContain("$0.0000004 / execution");
  });

  it("ends with the architecture in a mermaid block", () => {
    expect(md).toMatch(/## Architecture\n\n```mermaid\nflowchart LR\n[\s\S]+\n```\n$/);
  });

  it("shows the difference against the base branch's plan and estimate", () => {
    const base = { ...dev, resources: dev.resources.filter((r) => r.name !== "monitoring-poison-messages") };
    const changed = {
      ...dev,
      resources: dev.resources.map((r) =>
        r.name === "monitoring-workspace" ? { ...r, inputs: { ...r.inputs, retentionInDays: 90 } } : r,
      ),
    };
    const out = renderReport({ plan: changed, cost: estimateCost(changed, { ordersPerMonth: 1000 }), basePlan: base, baseCost: estimateCost(base, { ordersPerMonth: 1000 }) });
    expect(out).toContain("## Against the base branch");
    expect(out).toContain("- ➕ added (1):\n  - `azure-native:monitor:ScheduledQueryRule` monitoring-poison-messages");
    expect(out).toContain("- ✏️ changed (1):\n  - `azure-native:operationalinsights:Workspace` monitoring-workspace: retentionInDays");
    // base: $2.69 − one 15-min log alert ($0.50) = $2.19; head: $2.69 + retention 90 d
    // (1 GB × 59/30 × $0.10 = $0.19667) = $2.89; change +$0.50 + $0.19667 = +$0.70
    expect(out).toContain("| Idle monthly | $2.19 | $2.89 | +$0.70 |");
    expect(out).toContain("| Log search alert rule, evaluated every 15 minutes or less often | +$0.50 |");
    expect(renderReport({ plan: dev, cost })).not.toContain("Against the base branch");
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
