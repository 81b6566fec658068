import { describe, expect, it } from "vitest";
import { estimateCost } from "../../engine/cost/estimate";
import { renderReport } from "../../engine/report";
import { findReservedEndpoints } from "../../lib/endpoints";
import { loadPlan } from "../fixtures/plans/builder";
import { testConfig } from "../helpers/plan";

/** Issue 18 item 6: the PR report lists the placeholder values `pulumi up` would refuse. */
describe("the report's set-before-up section", () => {
  const plan = loadPlan("delivery-dev");
  const config = testConfig({
    apiManagement: { publisherName: "Team", publisherEmail: "team@fabrikam.com" },
    services: { notifications: { settings: { webhookUrl: "https://hooks.contoso.example/orders" } } },
  });
  const cost = estimateCost(plan, config.costAssumptions);

  /** The line after the preview's summary: the cost and the policy verdict. */
  const verdictLine = (md: string): string => md.split("\n").find((l) => l.startsWith("Cost: "))!;

  it("names each placeholder key, its value and the reserved name, and flags it in the verdict line", async () => {
    const md = await renderReport({ plan, cost, setBeforeUp: findReservedEndpoints(config) });
    expect(verdictLine(md)).toMatch(/ · ⚠️ 1 placeholder value\(s\) to set before `pulumi up`$/);
    expect(md).toContain("## Set before `pulumi up`");
    expect(md).toContain("| `serverless-platform:services.notifications.settings.webhookUrl` | `https://hooks.contoso.example/orders` | `example` (RFC 2606 §2, RFC 6761 §6.5) |");
  });

  it("has no section when every value is real", async () => {
    const md = await renderReport({ plan, cost, setBeforeUp: [] });
    expect(md).not.toContain("Set before");
    expect(verdictLine(md)).not.toContain("⚠️");
  });
});
