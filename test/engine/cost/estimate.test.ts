import { beforeAll, describe, expect, it } from "vitest";
import { estimateCost, flexBilledSeconds, logAlertMeter, resolveAssumptions } from "../../../engine/cost/estimate";
import { timerRunsPerMonth } from "../../../engine/cost/schedule";
import type { Plan } from "../../../engine/plan-format";
import { PRICES } from "../../../engine/cost/prices";
import { DEFAULT_ASSUMPTIONS, type CostLine } from "../../../engine/cost/estimate";
import { testConfig } from "../../helpers/plan";
import { stackPlan } from "../../helpers/stack-plans";
import { flexApp, loadPlan, plan, resource } from "../../fixtures/plans/builder";

const line = (lines: readonly CostLine[], meter: string, item?: string): CostLine => {
  const found = lines.filter((l) => l.meter === meter && (item === undefined || l.item === item));
  if (found.length !== 1) throw new Error(`expected one ${meter} line${item ? ` for ${item}` : ""}, found ${found.length}`);
  return found[0]!;
};

describe("Flex billing rules", () => {
  it.each([
    [1, 1],
    [300, 1], // below the 1,000 ms minimum
    [1000, 1],
    [1001, 1.1], // then 100 ms steps, rounded up
    [1100, 1.1],
    [2345, 2.4],
  ])("an execution of %i ms is billed as %f s", (ms, seconds) => {
    expect(flexBilledSeconds(ms)).toBeCloseTo(seconds, 10);
  });

  it("bills an always-ready 2 GB instance for the whole month: ≈ $21.02", () => {
    const e = estimateCost(plan([flexApp("api", 2048, 1)]), { ordersPerMonth: 0 });
    const l = line(e.idle.lines, "flex.alwaysReadyBaseline", "api (http)");
    // 1 instance × 2 GB × 730 h × 3,600 s = 5,256,000 GB-s; × $0.000004 = $21.024
    expect(l.quantity).toBe(5_256_000);
    expect(l.amount).toBeCloseTo(21.024, 6);
    expect(e.idle.total).toBeCloseTo(21.024, 6);
  });

  it("bills a 512 MB always-ready instance ≈ $5.26 and counts every instance", () => {
    const e = estimateCost(plan([flexApp("api", 512, 2)]), { ordersPerMonth: 0 });
    // 2 × 0.5 GB × 2,628,000 s × $0.000004 = $10.512
    expect(line(e.idle.lines, "flex.alwaysReadyBaseline").amount).toBeCloseTo(10.512, 6);
  });

  it("bills 300 ms executions as 1 s at the app's instance memory", () => {
    const e = estimateCost(plan([flexApp("api", 2048)]), { ordersPerMonth: 1000, executionsPerOrder: 10, averageExecutionMs: 300 });
    const gbs = line(e.perThousandOrders.marginalLines, "flex.onDemandExecutionTime");
    // 1,000 orders × 10 executions × 1 s (not 0.3 s) × 2 GB = 20,000 GB-s; × $0.000026 = $0.52
    expect(gbs.quantity).toBe(20_000);
    expect(gbs.amount).toBeCloseTo(0.52, 10);
    const execs = line(e.perThousandOrders.marginalLines, "flex.onDemandExecutions");
    // 10,000 executions × $0.40 / 1M = $0.004
    expect(execs.amount).toBeCloseTo(0.004, 10);
  });

  it("applies the free grants once across all apps, not per app", () => {
    // Two 4 GB apps, 200,000 orders × 1 execution of 1 s: 100,000 executions each,
    // 2 × 100,000 × 1 s × 4 GB = 800,000 GB-s gross; grant 100,000 → 700,000 billed × $0.000026 = $18.20.
    // Executions: 200,000 < 250,000 grant → $0.
    const e = estimateCost(plan([flexApp("a", 4096), flexApp("b", 4096)]), {
      ordersPerMonth: 200_000,
      executionsPerOrder: 1,
      averageExecutionMs: 1000,
    });
    const gbs = line(e.atVolume.lines, "flex.onDemandExecutionTime");
    expect(gbs.quantity).toBe(800_000);
    expect(gbs.free).toBe(100_000);
    expect(gbs.amount).toBeCloseTo(18.2, 6);
    expect(line(e.atVolume.lines, "flex.onDemandExecutions").amount).toBe(0);
    const freeGbs = e.atVolume.lines.filter((l) => l.meter === "flex.onDemandExecutionTime").reduce((n, l) => n + l.free, 0);
    expect(freeGbs).toBe(PRICES["flex.onDemandExecutionTime"].freeGrant.quantity);
  });

  it("can ignore the free grants", () => {
    const e = estimateCost(plan([flexApp("a", 2048)]), { ordersPerMonth: 1000, executionsPerOrder: 1 }, { applyFreeGrants: false });
    // 1,000 × 1 s × 2 GB × $0.000026 = $0.052; 1,000 × $0.0000004 = $0.0004
    expect(e.atVolume.total).toBeCloseTo(0.0524, 10);
  });
});

describe("monitoring billing rules", () => {
  const webTest = (locations: number, frequency: number) =>
    resource("applicationinsights:WebTest", "health", {
      webTestName: "health",
      enabled: true,
      frequency,
      locations: Array.from({ length: locations }, (_, i) => ({ location: `loc-${i}` })),
      request: { requestUrl: "https://example.org/health" },
    });

  it("bills every run of a 3-location, 5-minute web test: 25,920 runs ≈ $12.96", () => {
    const e = estimateCost(plan([webTest(3, 300)]), { ordersPerMonth: 0 });
    const l = line(e.idle.lines, "monitor.standardTestRuns");
    // 30 × 86,400 / 300 = 8,640 runs per location × 3 = 25,920; × $0.0005 = $12.96
    expect(l.quantity).toBe(25_920);
    expect(l.amount).toBeCloseTo(12.96, 10);
  });

  it("skips a disabled web test", () => {
    const t = webTest(3, 300);
    const e = estimateCost(plan([{ ...t, inputs: { ...t.inputs, enabled: false } }]), { ordersPerMonth: 0 });
    expect(e.idle.total).toBe(0);
  });

  it.each([
    [1, "monitor.logAlert1Min"],
    [4, "monitor.logAlert1Min"],
    [5, "monitor.logAlert5Min"],
    [10, "monitor.logAlert10Min"],
    [15, "monitor.logAlert15Min"],
    [60, "monitor.logAlert15Min"],
  ])("prices a log alert evaluated every %i min as %s", (minutes, meter) => {
    expect(logAlertMeter(minutes)).toBe(meter);
  });

  it("prices log alerts by their evaluation frequency and frees the first 10 metric series", () => {
    const rule = (n: string, f: string) => resource("monitor:ScheduledQueryRule", n, { ruleName: n, enabled: true, evaluationFrequency: f });
    const metric = (n: string, criteria: number) =>
      resource("monitor:MetricAlert", n, { enabled: true, scopes: ["/s"], criteria: { allOf: Array.from({ length: criteria }, () => ({})) } });
    const e = estimateCost(
      plan([rule("a", "PT1M"), rule("b", "PT5M"), rule("c", "PT15M"), metric("m1", 6), metric("m2", 7)]),
      { ordersPerMonth: 0 },
    );
    // $3.00 + $1.50 + $0.50 = $5.00; metric series 6 + 7 = 13, 10 free → 3 × $0.10 = $0.30
    expect(line(e.idle.lines, "monitor.logAlert1Min").amount).toBe(3);
    expect(line(e.idle.lines, "monitor.metricAlertSeries").free).toBe(10);
    expect(e.idle.total).toBeCloseTo(5.3, 10);
  });

  it("bills Log Analytics ingestion after the free 5 GB, and never beyond the daily cap", () => {
    const ws = (quota: number) =>
      resource("operationalinsights:Workspace", "logs", { workspaceName: "logs", retentionInDays: 30, workspaceCapping: { dailyQuotaGb: quota } });
    const a = { ordersPerMonth: 1_000_000, executionsPerOrder: 5, telemetryKbPerExecution: 2, baselineTelemetryGbPerMonth: 1 };
    // Uncapped (-1): 1,000,000 × 5 × 2 KB = 10 GB telemetry + 1 GB baseline = 11 GB; 5 free → 6 × $2.30 = $13.80
    const open = estimateCost(plan([ws(-1)]), a);
    expect(open.atVolume.lines.filter((l) => l.meter === "monitor.logIngestion").reduce((n, l) => n + l.amount, 0)).toBeCloseTo(13.8, 10);
    // Capped at 0.2 GB/day: 6 GB/month ingested at most; 5 free → 1 × $2.30, and a note about lost data
    const capped = estimateCost(plan([ws(0.2)]), a);
    const ingested = capped.atVolume.lines.filter((l) => l.meter === "monitor.logIngestion");
    expect(ingested.reduce((n, l) => n + l.quantity, 0)).toBeCloseTo(6, 10);
    expect(ingested.reduce((n, l) => n + l.amount, 0)).toBeCloseTo(2.3, 10);
    expect(capped.notes.join("\n")).toMatch(/exceeds the workspace's daily cap/);
    // The marginal figure ignores caps and grants: 1,000 × 5 × 2 KB = 0.01 GB × $2.30 = $0.023
    expect(line(capped.perThousandOrders.marginalLines, "monitor.logIngestion").amount).toBeCloseTo(0.023, 10);
  });
});

describe("data, messaging and gateway meters", () => {
  it("bills Cosmos serverless per RU and storage; autoscale at 10% of max all month", () => {
    const serverless = resource("cosmosdb:DatabaseAccount", "acct", { accountName: "acct", capabilities: [{ name: "EnableServerless" }], locations: [{}] });
    const e = estimateCost(plan([serverless]), { ordersPerMonth: 10_000, requestUnitsPerOrder: 100, cosmosStorageGb: 4 });
    // 1,000,000 RU × $0.25/M = $0.25; storage 4 GB × $0.25 = $1.00 (idle)
    expect(line(e.atVolume.lines, "cosmos.serverlessRequestUnits").amount).toBeCloseTo(0.25, 10);
    expect(e.idle.total).toBeCloseTo(1, 10);

    const provisioned = resource("cosmosdb:DatabaseAccount", "acct", { accountName: "acct", locations: [{}] });
    const db = resource("cosmosdb:SqlResourceSqlDatabase", "db", { accountName: "acct", databaseName: "db", options: { autoscaleSettings: { maxThroughput: 4000 } } });
    const p = estimateCost(plan([provisioned, db]), { ordersPerMonth: 0, cosmosStorageGb: 0 });
    // 10% × 4,000 RU/s × 730 h = 292,000 RU/s-h × $0.012/100 = $35.04
    expect(line(p.idle.lines, "cosmos.autoscaleThroughput").amount).toBeCloseTo(35.04, 10);
    expect(p.idle.lines.some((l) => l.meter === "cosmos.serverlessRequestUnits")).toBe(false);
  });

  it("bills queue operations and Event Grid publishes plus deliveries after 100k free", () => {
    const q = resource("storage:Queue", "q", { accountName: "st", queueName: "work" });
    const poison = resource("storage:Queue", "qp", { accountName: "st", queueName: "work-poison" });
    const topic = resource("eventgrid:Topic", "t", { topicName: "events" });
    const sub = (n: string) => resource("eventgrid:EventSubscription", n, { scope: "/subscriptions/s/resourceGroups/r/providers/Microsoft.EventGrid/topics/events" });
    const e = estimateCost(plan([q, poison, topic, sub("s1"), sub("s2")]), { ordersPerMonth: 100_000, queueMessagesPerOrder: 2, eventsPerOrder: 1 });
    // queues: 100,000 × 2 × 3 = 600,000 ops × $0.004/10k = $0.24
    expect(line(e.atVolume.lines, "storage.queueOperations").amount).toBeCloseTo(0.24, 10);
    // events: 100,000 × (1 publish + 2 deliveries) = 300,000 ops; 100,000 free → 200,000 × $0.60/M = $0.12
    const eg = line(e.atVolume.lines, "eventgrid.operations");
    expect(eg.quantity).toBe(300_000);
    expect(eg.amount).toBeCloseTo(0.12, 10);
  });

  it("bills APIM Consumption after 1M free calls and v2 tiers as a fixed monthly price", () => {
    const gw = (sku: string) => resource("apimanagement:ApiManagementService", "gw", { serviceName: "gw", sku: { name: sku, capacity: sku === "Consumption" ? 0 : 1 } });
    const c = estimateCost(plan([gw("Consumption")]), { ordersPerMonth: 500_000, gatewayCallsPerOrder: 4 });
    // 2,000,000 calls − 1,000,000 free = 1,000,000 × $0.035/10k = $3.50
    expect(line(c.atVolume.lines, "apim.consumptionCalls", "gw").amount).toBeCloseTo(3.5, 10);
    const b = estimateCost(plan([gw("BasicV2")]), { ordersPerMonth: 0 });
    expect(b.idle.total).toBe(150);
  });

  it("bills private endpoints every hour and private DNS zones every month, idle or not", () => {
    const endpoints = [1, 2, 3].map((i) => resource("network:PrivateEndpoint", `pe${i}`, {}));
    const zones = [1, 2].map((i) => resource("privatedns:PrivateZone", `z${i}`, {}));
    const c = estimateCost(plan([...endpoints, ...zones]), { ordersPerMonth: 0 });
    // 3 endpoints × 730 h × $0.01 = $21.90; 2 zones × $0.50 = $1.00
    expect(line(c.idle.lines, "network.privateEndpointHours", "3 private endpoint(s)").amount).toBeCloseTo(21.9, 10);
    expect(line(c.idle.lines, "network.privateDnsZones", "2 private DNS zone(s)").amount).toBeCloseTo(1, 10);
    expect(c.idle.total).toBeCloseTo(22.9, 10);
  });
});

describe("the delivery fixtures (dev and prod as the stack files configure them)", () => {
  it("dev idles at about $2.69/month, within the $5 goal", () => {
    const e = estimateCost(loadPlan("delivery-dev"), { ordersPerMonth: 1000 });
    // web test: 1 location every 15 min = 2,880 runs × $0.0005 = $1.44
    // log alerts: 2 × every 15 min × $0.50 = $1.00
    // Cosmos storage 1 GB × $0.25 = $0.25
    // Key Vault: 1 reference × 30 reads × $0.000003 = $0.00009
    // metric series 5 (≤ 10 free), 2,880 test executions/calls and 1 GB logs within the free grants
    expect(e.idle.total).toBeCloseTo(1.44 + 1 + 0.25 + 0.00009, 8);
    expect(e.idle.total).toBeLessThanOrEqual(5);
    // Marginal per 1,000 orders (no grants): executions 12,000 × $0.0000004 = $0.0048;
    // GB-s 12,000 × 1 s × 0.5 GB = 6,000 × $0.000026 = $0.156; APIM 4,000 × $0.0000035 = $0.014;
    // RU 60,000 × $0.00000025 = $0.015; queues 9,000 × $0.0000004 = $0.0036;
    // Event Grid 2,000 events × 2 = 4,000 × $0.0000006 = $0.0024; telemetry 0.024 GB × $2.30 = $0.0552
    expect(e.perThousandOrders.marginal).toBeCloseTo(0.0048 + 0.156 + 0.014 + 0.015 + 0.0036 + 0.0024 + 0.0552, 8);
    // At 1,000 orders/month only RU and queue operations exceed free grants: $0.015 + $0.0036
    expect(e.perThousandOrders.atConfiguredVolume).toBeCloseTo(0.0186, 8);
  });

  it("prod idles at about $54.53/month, most of it the always-ready orders instances", () => {
    const e = estimateCost(loadPlan("delivery-prod"), { ordersPerMonth: 100_000 });
    // always-ready: http configured 1, but the plan is zone redundant: the platform keeps and bills
    // 2 × 2 GB × 2,628,000 s × $0.000004 = $42.048
    // web test: 2 locations every 5 min = 17,280 runs × $0.0005 = $8.64
    // log alerts: 2 × every 5 min × $1.50 = $3.00; metric series 12 − 10 free = 2 × $0.10 = $0.20
    // Cosmos: storage $0.25 + 30-day backup 1 GB × 1 region × $0.20 = $0.20
    // retention 90 days: 1 GB baseline × (90 − 31) / 30 × $0.10 = $0.19667; Key Vault $0.00009
    expect(e.idle.total).toBeCloseTo(42.048 + 8.64 + 3 + 0.2 + 0.25 + 0.2 + (59 / 30) * 0.1 + 0.00009, 8);
    expect(e.notes.join("\n")).toMatch(/zone redundant but its functions are unknown/);
    expect(line(e.idle.lines, "flex.alwaysReadyBaseline").item).toBe("contoso-func-orders-p (http)");
    expect(e.region).toBe("eastus2");
    expect(e.notes.join("\n")).toMatch(/East US list prices.*eastus2/);
  });
});

describe("assumptions", () => {
  it("fills every missing assumption with its default and keeps given ones", () => {
    const a = resolveAssumptions({ ordersPerMonth: 5, executionsPerOrder: undefined });
    expect(a.ordersPerMonth).toBe(5);
    expect(a.executionsPerOrder).toBe(12);
    expect(a.baselineTelemetryGbPerMonth).toBe(1);
  });
});

describe("the stack config's costAssumptions", () => {
  it("parse into exactly the estimator's assumptions, with the same defaults", () => {
    expect(testConfig().costAssumptions).toEqual(DEFAULT_ASSUMPTIONS);
  });
});

describe("timer schedules", () => {
  it.each<[string, number | undefined]>([
    ["0 */1 * * * *", 43_200],
    ["0 */5 * * * *", 8_640],
    ["0 0 * * * *", 720],
    ["*/30 * * * * *", 86_400],
    ["0 0,30 8-17 * * *", 600],
    ["0 30 9 * * 1-5", 22], // the weekdays of a 30-day month (April 2026)
    ["0 30 9 * * Mon-Fri", 22],
    ["00:05:00", 8_640],
    ["1.00:00:00", 30],
    ["not a schedule", undefined],
    ["0 61 * * * *", undefined],
  ])("%s runs %s times in a 30-day month", (schedule, runs) => {
    expect(timerRunsPerMonth(schedule)).toBe(runs);
  });
});

describe("zone redundancy and timers on the real prod plan (issue 18 item 2)", () => {
  let prod: Plan;
  beforeAll(async () => {
    prod = await stackPlan("prod");
  }, 120_000);

  it("prices the platform's 2 always-ready instances for every scale group of every zone-redundant app", () => {
    const e = estimateCost(prod, { ordersPerMonth: 0 });
    const baseline = e.idle.lines.filter((l) => l.meter === "flex.alwaysReadyBaseline");
    const groups = baseline.map((l) => l.item.replace(/^contoso-(\w+)-p-\w+ /, "$1 ")).sort();
    expect(groups).toEqual([
      "catalog (http)",
      "fulfillment (durable)",
      "fulfillment (function:startFulfillment)",
      "notifications (function:deliverNotification)",
      "notifications (function:publishOrderStatusChanges)",
      "orders (function:applyStatusReport)",
      "orders (function:relayOutbox)",
      "orders (http)",
    ]);
    for (const l of baseline) {
      const gb = l.item.startsWith("contoso-catalog") || l.item.startsWith("contoso-notifications") ? 0.5 : 2;
      expect(l.quantity, l.item).toBe(2 * gb * 730 * 3600);
    }
    // 4 × 2 GB groups × 2 + ... : 6 groups of 2 GB and 3 of 512 MB, 2 instances each.
    const total = baseline.reduce((n, l) => n + l.amount, 0);
    expect(total).toBeCloseTo((5 * 2 * 2 + 3 * 2 * 0.5) * 2_628_000 * 0.000004, 6);
  });

  it("prices orders' relayOutbox timer (every minute): executions, GB-s on its always-ready instances and a Cosmos query each", () => {
    const e = estimateCost(prod, { ordersPerMonth: 0 });
    const timer = e.idle.lines.filter((l) => /relayOutbox \(timer every 1 min\)/.test(l.item));
    expect(timer.map((l) => [l.meter, l.quantity])).toEqual([
      ["flex.onDemandExecutions", 43_200],
      ["flex.alwaysReadyExecutionTime", 43_200 * 1 * 2],
      ["cosmos.serverlessRequestUnits", 43_200 * 3],
    ]);
  });

  it("says what keeps each app awake", () => {
    const awake = Object.fromEntries(estimateCost(prod).awake.map((w) => [w.app.replace(/^contoso-(\w+)-p-\w+$/, "$1"), w.reasons.join("; ")]));
    expect(awake.orders).toMatch(/timer relayOutbox every 1 min \(43,200 runs\/month\): never scales to zero/);
    expect(awake.orders).toMatch(/always-ready function:relayOutbox × 2 \(platform minimum with zone redundancy, 0 configured\)/);
    expect(awake.fulfillment).toMatch(/always-ready durable × 2/);
  });
});
