import { describe, expect, it } from "vitest";
import { Observability, type ObservabilityArgs, functionsSamplingSettings } from "../../../components/monitoring";
import { functionFailureRateQuery, poisonMessagesQuery } from "../../../components/monitoring/queries";
import { WORKBOOK_SECTIONS, type WorkbookDefinition, type WorkbookGroupItem, type WorkbookQueryItem } from "../../../components/monitoring/workbook";
import { Simulator } from "../../../engine/simulator";
import type { Plan } from "../../../engine/plan-format";
import { deterministicGuid } from "../../../components/core/roles";
import { evaluate, ofType, one, testConfig } from "../../helpers/plan";

const WORKSPACE = "azure-native:operationalinsights:Workspace";
const APPI = "azure-native:applicationinsights:Component";
const AG = "azure-native:monitor:ActionGroup";
const METRIC = "azure-native:monitor:MetricAlert";
const LOG = "azure-native:monitor:ScheduledQueryRule";
const WEBTEST = "azure-native:applicationinsights:WebTest";
const WORKBOOK = "azure-native:applicationinsights:Workbook";
const LOCK = "azure-native:authorization:ManagementLockByScope";

const SUB = new Simulator({ stack: "test" }).subscriptionId;
const RG = `/subscriptions/${SUB}/resourceGroups/rg/providers`;
const WORKSPACE_ID = `${RG}/Microsoft.OperationalInsights/workspaces/test-mon-d`;
const APPI_ID = `${RG}/Microsoft.Insights/components/test-mon-d`;
const AG_ID = `${RG}/Microsoft.Insights/actionGroups/test-mon-oncall-d`;
const APIM_ID = `${RG}/Microsoft.ApiManagement/service/test-apim-d-abcde`;
const ACCOUNT_ID = `${RG}/Microsoft.Storage/storageAccounts/testmsgd12345`;
const TOPIC_ID = `${RG}/Microsoft.EventGrid/topics/test-events-d`;
const COSMOS_ID = `${RG}/Microsoft.DocumentDB/databaseAccounts/test-data-d-abcde`;
const TAGS = { owner: "team", costCenter: "1" };

/** The monitoring section as Pulumi.prod.yaml sets it. */
const PROD_MONITORING = {
  retentionDays: 90,
  dailyQuotaGb: 5,
  samplingPercentage: 25,
  availabilityTest: { locations: ["us-va-ash-azr", "us-il-ch1-azr"], frequencySeconds: 300 },
  actionGroup: { emails: ["platform-oncall@contoso.example"], webhooks: ["https://oncall.contoso.example/hooks/azure-monitor"] },
  severity: { failure: 1, degradation: 2 },
};
/** The dev stack's (Pulumi.dev.yaml) severities over the schema's defaults. */
const DEV_MONITORING = { actionGroup: { emails: ["platform-oncall@contoso.example"] }, severity: { failure: 3, degradation: 4 } };

const dev = testConfig({ monitoring: DEV_MONITORING });
const prod = testConfig({ environment: "prod", monitoring: PROD_MONITORING });

const args = (monitoring = dev.monitoring, over: Partial<ObservabilityArgs> = {}): ObservabilityArgs => ({
  names: { prefix: "test", environment: "dev" },
  resourceGroupName: "rg",
  location: "eastus",
  tags: TAGS,
  monitoring,
  ...over,
});

/** Every alert and the availability test, with default settings. */
function everything(o: Observability): void {
  o.alertFunctionApp("orders", { roleName: "test-orders-d-abcde" });
  o.alertApiManagement({ serviceId: APIM_ID });
  o.alertPoisonQueues("msg", { storageAccountId: ACCOUNT_ID });
  o.alertDeadLetters("events", { topicId: TOPIC_ID });
  o.alertCosmosThrottling({ accountId: COSMOS_ID });
  o.addAvailabilityTest({ url: "https://test-apim-d-abcde.azure-api.net/health" });
}

const metricCriteria = (c: Record<string, unknown>) => ({
  odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
  allOf: [{ criterionType: "StaticThresholdCriterion", operator: "GreaterThan", ...c }],
});

describe("Observability: workspace, Application Insights, action group", () => {
  it("dev: PerGB2018 workspace with the config's retention and daily cap, Entra-only", async () => {
    const plan = await evaluate(() => {
      new Observability("mon", args());
    });
    const ws = one(plan, WORKSPACE, "mon-workspace");
    expect(ws.inputs).toEqual({
      workspaceName: "test-mon-d",
      resourceGroupName: "rg",
      location: "eastus",
      tags: TAGS,
      sku: { name: "PerGB2018" },
      retentionInDays: 30,
      workspaceCapping: { dailyQuotaGb: 0.1 },
      features: { disableLocalAuth: true, enableLogAccessUsingOnlyResourcePermissions: true },
    });
    expect(ws.options.protect).toBeFalsy();
    expect(ofType(plan, LOCK)).toHaveLength(0);
  });

  it("workspace-based Application Insights with local auth off and IP masking on", async () => {
    const plan = await evaluate(() => {
      new Observability("mon", args());
    });
    expect(one(plan, APPI).inputs).toEqual({
      resourceName: "test-mon-d",
      resourceGroupName: "rg",
      location: "eastus",
      tags: TAGS,
      kind: "web",
      applicationType: "web",
      flowType: "Bluefield",
      requestSource: "rest",
      ingestionMode: "LogAnalytics",
      workspaceResourceId: WORKSPACE_ID,
      disableLocalAuth: true,
      disableIpMasking: false,
      // SDK defaults: Flex apps without a VNet ingest over the public endpoint (Entra-authenticated).
      publicNetworkAccessForIngestion: "Enabled",
      publicNetworkAccessForQuery: "Enabled",
    });
    expect(one(plan, APPI).dependencies).toContain(one(plan, WORKSPACE).urn);
  });

  it("action group: global, short name within 12 characters, config's e-mails and webhooks with the common alert schema", async () => {
    const plan = await evaluate(() => {
      new Observability("mon", args(prod.monitoring));
    });
    const ag = one(plan, AG);
    expect(ag.inputs).toEqual({
      actionGroupName: "test-mon-oncall-d",
      groupShortName: "test-oc-d",
      resourceGroupName: "rg",
      location: "global",
      tags: TAGS,
      enabled: true,
      emailReceivers: [{ name: "email-1", emailAddress: "platform-oncall@contoso.example", useCommonAlertSchema: true }],
      webhookReceivers: [{ name: "webhook-1", serviceUri: "https://oncall.contoso.example/hooks/azure-monitor", useCommonAlertSchema: true }],
    });
    expect((ag.inputs.groupShortName as string).length).toBeLessThanOrEqual(12);
  });

  it("the short name stays within 12 characters with the longest prefix", async () => {
    const plan = await evaluate(() => {
      new Observability("mon", args(dev.monitoring, { names: { prefix: "abcdefgh", environment: "prod" } }));
    });
    expect((one(plan, AG).inputs.groupShortName as string).length).toBeLessThanOrEqual(12);
  });

  it("prod: its retention and cap; protected workspace with a lock", async () => {
    const plan = await evaluate(() => {
      new Observability("mon", args(prod.monitoring, { protect: true }));
    });
    const ws = one(plan, WORKSPACE);
    expect(ws.inputs.retentionInDays).toBe(90);
    expect(ws.inputs.workspaceCapping).toEqual({ dailyQuotaGb: 5 });
    expect(ws.options.protect).toBe(true);
    expect(ws.options.retainOnDelete).toBe(true);
    const lock = one(plan, LOCK);
    expect(lock.inputs.scope).toBe(WORKSPACE_ID);
    expect(lock.inputs.level).toBe("CanNotDelete");
  });

  it("exposes ids, the customer id, and the connection string as a plain (non-secret) output", async () => {
    const plan = await evaluate(() => {
      const o = new Observability("mon", args());
      return {
        workspaceId: o.workspaceId,
        workspaceCustomerId: o.workspaceCustomerId,
        appInsightsId: o.appInsightsId,
        connectionString: o.connectionString,
        actionGroupId: o.actionGroupId,
      };
    });
    expect(plan.outputs.workspaceId).toBe(WORKSPACE_ID);
    expect(plan.outputs.workspaceCustomerId).toBe(one(plan, WORKSPACE).outputs.customerId);
    expect(plan.outputs.appInsightsId).toBe(APPI_ID);
    expect(plan.outputs.actionGroupId).toBe(AG_ID);
    expect(plan.outputs.connectionString).toBe(one(plan, APPI).outputs.connectionString);
    expect(plan.outputs.connectionString).toMatch(/^InstrumentationKey=/);
  });

  it("every child is parented to the component and tagged", async () => {
    const plan = await evaluate(() => {
      everything(new Observability("mon", args()));
    });
    const component = plan.resources.find((r) => r.type === "serverless-platform:monitoring:Observability")!;
    const children = plan.resources.filter((r) => r.type.startsWith("azure-native:"));
    expect(children).toHaveLength(12);
    for (const r of children) {
      expect(r.parent, r.name).toBe(component.urn);
      expect(r.inputs.tags, r.name).toMatchObject(TAGS);
    }
  });

  it("refuses an impossible config", () => {
    expect(() => new Observability("bad", args({ ...dev.monitoring, dailyQuotaGb: 0 }))).toThrow(/dailyQuotaGb must be positive or -1/);
    expect(() => new Observability("bad2", args({ ...dev.monitoring, retentionDays: 10 }))).toThrow(/retentionDays must be 30-730/);
  });
});

// Like every other component, the naming context is optional when the names are explicit.
describe("Observability without a naming context", () => {
  const explicit = { workspace: "law-contoso", appInsights: "appi-contoso", actionGroup: "ag-contoso-oncall", actionGroupShortName: "contoso-oc" };
  const { names: _names, ...unnamed } = args(prod.monitoring);

  it("uses the explicit names, names the alerts and the test after the component, and the workbook after the workspace", async () => {
    const plan = await evaluate(() => everything(new Observability("mon", { ...unnamed, physicalNames: explicit })));
    expect(one(plan, WORKSPACE).inputs.workspaceName).toBe("law-contoso");
    expect(one(plan, APPI).inputs.resourceName).toBe("appi-contoso");
    expect(one(plan, AG).inputs).toMatchObject({ actionGroupName: "ag-contoso-oncall", groupShortName: "contoso-oc" });
    const rules = [...ofType(plan, METRIC), ...ofType(plan, LOG)].map((r) => r.inputs.ruleName as string);
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) expect(rule).toMatch(/^mon-[a-z0-9-]+$/);
    expect(rules).toContain("mon-availability");
    expect(new Set(rules).size).toBe(rules.length);
    expect(one(plan, WEBTEST).inputs.webTestName).toBe("mon-gateway-health");
    expect(one(plan, WORKBOOK).inputs).toMatchObject({ resourceName: deterministicGuid("workbook", "law-contoso", "mon"), displayName: "On-call overview (law-contoso)" });
  });

  it("refuses a name it cannot derive, naming the argument", async () => {
    await evaluate(() => {
      const { actionGroupShortName: _short, ...rest } = explicit;
      expect(() => new Observability("mon", { ...unnamed, physicalNames: rest })).toThrow(
        /Observability "mon": physicalNames\.actionGroupShortName is required when names \(the naming helper's prefix and environment\) is not given/,
      );
      expect(() => new Observability("mon2", unnamed)).toThrow(/Observability "mon2": physicalNames\.workspace is required when names/);
    });
  });
});

describe("Observability: alerts", () => {
  const planFor = (monitoring = dev.monitoring): Promise<Plan> => evaluate(() => everything(new Observability("mon", args(monitoring))));

  it("function app failure rate: log alert on App Insights, pinned query, threshold, window, frequency, failure severity", async () => {
    const plan = await planFor();
    expect(one(plan, LOG, "mon-orders-failures").inputs).toEqual({
      ruleName: "test-orders-failures-d",
      resourceGroupName: "rg",
      location: "eastus",
      tags: TAGS,
      kind: "LogAlert",
      description: "More than 5% of orders's executions failed (at least 10 executions in the window). Open the on-call workbook: requests and failures per service.",
      severity: 3,
      enabled: true,
      scopes: [APPI_ID],
      evaluationFrequency: "PT5M",
      windowSize: "PT15M",
      autoMitigate: true,
      skipQueryValidation: false,
      criteria: {
        allOf: [
          {
            query: functionFailureRateQuery("test-orders-d-abcde", 10),
            timeAggregation: "Maximum",
            metricMeasureColumn: "FailureRatePercent",
            operator: "GreaterThan",
            threshold: 5,
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
          },
        ],
      },
      actions: { actionGroups: [AG_ID] },
    });
  });

  it("API Management: 5xx count (Requests, GatewayResponseCodeCategory 5xx) and latency (Duration average)", async () => {
    const plan = await planFor();
    const common = { resourceGroupName: "rg", location: "global", tags: TAGS, enabled: true, scopes: [APIM_ID], autoMitigate: true, actions: [{ actionGroupId: AG_ID }] };
    expect(one(plan, METRIC, "mon-apim-5xx").inputs).toEqual({
      ...common,
      ruleName: "test-apim-5xx-d",
      description: "The API gateway answered more than 5 requests with a 5xx in the window.",
      severity: 3,
      evaluationFrequency: "PT1M",
      windowSize: "PT5M",
      criteria: metricCriteria({
        name: "Requests",
        metricNamespace: "Microsoft.ApiManagement/service",
        metricName: "Requests",
        threshold: 5,
        timeAggregation: "Total",
        dimensions: [{ name: "GatewayResponseCodeCategory", operator: "Include", values: ["5xx"] }],
      }),
    });
    expect(one(plan, METRIC, "mon-apim-latency").inputs).toEqual({
      ...common,
      ruleName: "test-apim-latency-d",
      description: "The API gateway's average request duration exceeded 2000 ms.",
      severity: 4,
      evaluationFrequency: "PT5M",
      windowSize: "PT15M",
      criteria: metricCriteria({ name: "Duration", metricNamespace: "Microsoft.ApiManagement/service", metricName: "Duration", threshold: 2000, timeAggregation: "Average" }),
    });
  });

  it("poison queues: log alert on the workspace over StorageQueueLogs of the account, any message", async () => {
    const plan = await planFor();
    const rule = one(plan, LOG, "mon-msg-poison").inputs;
    expect(rule).toMatchObject({
      ruleName: "test-msg-poison-d",
      severity: 3,
      scopes: [WORKSPACE_ID],
      evaluationFrequency: "PT15M",
      windowSize: "PT15M",
      skipQueryValidation: true,
      actions: { actionGroups: [AG_ID] },
    });
    expect(rule.criteria).toEqual({
      allOf: [
        {
          query: poisonMessagesQuery("testmsgd12345"),
          timeAggregation: "Total",
          metricMeasureColumn: "PoisonMessages",
          operator: "GreaterThan",
          threshold: 0,
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
        },
      ],
    });
  });

  it("Event Grid dead letters and Cosmos throttling: metric alerts on their resources", async () => {
    const plan = await planFor();
    expect(one(plan, METRIC, "mon-events-deadletter").inputs).toMatchObject({
      ruleName: "test-events-deadletter-d",
      location: "global",
      severity: 3,
      scopes: [TOPIC_ID],
      evaluationFrequency: "PT5M",
      windowSize: "PT15M",
      actions: [{ actionGroupId: AG_ID }],
      criteria: metricCriteria({ name: "DeadLetteredCount", metricNamespace: "Microsoft.EventGrid/topics", metricName: "DeadLetteredCount", threshold: 0, timeAggregation: "Total" }),
    });
    expect(one(plan, METRIC, "mon-cosmos-throttling").inputs).toMatchObject({
      ruleName: "test-cosmos-throttling-d",
      location: "global",
      severity: 4,
      scopes: [COSMOS_ID],
      evaluationFrequency: "PT5M",
      windowSize: "PT15M",
      actions: [{ actionGroupId: AG_ID }],
      criteria: metricCriteria({
        name: "TotalRequests",
        metricNamespace: "Microsoft.DocumentDB/databaseAccounts",
        metricName: "TotalRequests",
        threshold: 10,
        timeAggregation: "Count",
        dimensions: [{ name: "StatusCode", operator: "Include", values: ["429"] }],
      }),
    });
  });

  it("severities follow the environment's config (prod: failure 1, degradation 2)", async () => {
    const plan = await planFor(prod.monitoring);
    const severity = (type: string, name: string): unknown => one(plan, type, name).inputs.severity;
    expect(severity(LOG, "mon-orders-failures")).toBe(1);
    expect(severity(METRIC, "mon-apim-5xx")).toBe(1);
    expect(severity(LOG, "mon-msg-poison")).toBe(1);
    expect(severity(METRIC, "mon-events-deadletter")).toBe(1);
    expect(severity(METRIC, "mon-availability")).toBe(1);
    expect(severity(METRIC, "mon-apim-latency")).toBe(2);
    expect(severity(METRIC, "mon-cosmos-throttling")).toBe(2);
  });

  it("thresholds, windows, frequencies and severity classes can be overridden", async () => {
    const plan = await evaluate(() => {
      const o = new Observability("mon", args());
      o.alertFunctionApp("orders", { roleName: "r", thresholdPercent: 20, minimumRequests: 50, window: "PT30M", frequency: "PT15M", severity: "degradation" });
      o.alertApiManagement({ serviceId: APIM_ID, serverErrors: { threshold: 0, window: "PT15M", frequency: "PT5M" }, latency: { thresholdMs: 800, severity: "failure" } });
      o.alertCosmosThrottling({ accountId: COSMOS_ID, threshold: 0, severity: "failure" });
    });
    const fn = one(plan, LOG, "mon-orders-failures").inputs;
    expect(fn).toMatchObject({ severity: 4, windowSize: "PT30M", evaluationFrequency: "PT15M" });
    expect((fn.criteria as { allOf: { query: string; threshold: number }[] }).allOf[0]).toMatchObject({ query: functionFailureRateQuery("r", 50), threshold: 20 });
    expect(one(plan, METRIC, "mon-apim-5xx").inputs).toMatchObject({ windowSize: "PT15M", evaluationFrequency: "PT5M", criteria: { allOf: [{ threshold: 0 }] } });
    expect(one(plan, METRIC, "mon-apim-latency").inputs).toMatchObject({ severity: 3, criteria: { allOf: [{ threshold: 800 }] } });
    expect(one(plan, METRIC, "mon-cosmos-throttling").inputs).toMatchObject({ severity: 3, criteria: { allOf: [{ threshold: 0 }] } });
  });

  it("refuses impossible alert arguments and duplicates", async () => {
    await evaluate(() => {
      const o = new Observability("v", args());
      expect(() => o.alertFunctionApp("a", { roleName: "r", window: "PT5M", frequency: "PT15M" })).toThrow(/window PT5M is shorter than the evaluation frequency PT15M/);
      expect(() => o.alertFunctionApp("b", { roleName: "r", thresholdPercent: 150 })).toThrow(/thresholdPercent must be a number from 0 to 100/);
      expect(() => o.alertFunctionApp("c", { roleName: "r", minimumRequests: 0 })).toThrow(/minimumRequests must be a positive integer/);
      expect(() => o.alertCosmosThrottling({ accountId: COSMOS_ID, threshold: -1 })).toThrow(/threshold must be a number from 0/);
      o.alertDeadLetters("events", { topicId: TOPIC_ID });
      expect(() => o.alertDeadLetters("events", { topicId: TOPIC_ID })).toThrow(/"events-deadletter" was already added/);
    });
  });
});

describe("Observability: availability test", () => {
  it("dev: standard test of the health URL from one location every 900 s, SSL checked, hidden-link tag; alert on 1 failed location", async () => {
    const plan = await evaluate(() => {
      new Observability("mon", args()).addAvailabilityTest({ url: "https://test-apim-d-abcde.azure-api.net/health" });
    });
    const test = one(plan, WEBTEST);
    expect(test.inputs).toEqual({
      webTestName: "test-mon-gateway-health-d",
      syntheticMonitorId: "test-mon-gateway-health-d",
      resourceGroupName: "rg",
      location: "eastus",
      tags: { ...TAGS, [`hidden-link:${APPI_ID}`]: "Resource" },
      kind: "standard",
      webTestKind: "standard",
      description: "GET of the gateway's health route from the configured test locations.",
      enabled: true,
      frequency: 900,
      timeout: 30,
      retryEnabled: true,
      locations: [{ location: "us-va-ash-azr" }],
      request: { requestUrl: "https://test-apim-d-abcde.azure-api.net/health", httpVerb: "GET", parseDependentRequests: false, followRedirects: false },
      validationRules: { expectedHttpStatusCode: 200, sSLCheck: true, sSLCertRemainingLifetimeCheck: 7 },
    });
    const testId = `${RG}/Microsoft.Insights/webtests/test-mon-gateway-health-d`;
    expect(one(plan, METRIC, "mon-availability").inputs).toEqual({
      ruleName: "test-availability-d",
      resourceGroupName: "rg",
      location: "global",
      tags: TAGS,
      description: "The gateway health check failed from 1 or more test locations.",
      severity: 3,
      enabled: true,
      scopes: [testId, APPI_ID],
      evaluationFrequency: "PT1M",
      windowSize: "PT5M",
      autoMitigate: true,
      criteria: { odataType: "Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria", webTestId: testId, componentId: APPI_ID, failedLocationCount: 1 },
      actions: [{ actionGroupId: AG_ID }],
    });
  });

  it("prod: two locations every 300 s; the alert needs both to fail", async () => {
    const plan = await evaluate(() => {
      new Observability("mon", args(prod.monitoring)).addAvailabilityTest({ url: "https://gw.example/health" });
    });
    expect(one(plan, WEBTEST).inputs).toMatchObject({ frequency: 300, locations: [{ location: "us-va-ash-azr" }, { location: "us-il-ch1-azr" }] });
    expect(one(plan, METRIC, "mon-availability").inputs).toMatchObject({ severity: 1, criteria: { failedLocationCount: 2 } });
  });

  it("disabled by config: no test, no alert", async () => {
    const off = testConfig({ monitoring: { availabilityTest: { enabled: false } } });
    let result: unknown = "unset";
    const plan = await evaluate(() => {
      result = new Observability("mon", args(off.monitoring)).addAvailabilityTest({ url: "https://gw.example/health" });
    });
    expect(result).toBeUndefined();
    expect(ofType(plan, WEBTEST)).toHaveLength(0);
    expect(ofType(plan, METRIC)).toHaveLength(0);
  });

  it("refuses a non-https URL and a failed-location count above the locations", async () => {
    await evaluate(() => {
      const o = new Observability("v", args());
      expect(() => o.addAvailabilityTest({ url: "http://gw.example/health" })).toThrow(/url must be an absolute https:\/\/ URL/);
      const o2 = new Observability("v2", args());
      expect(() => o2.addAvailabilityTest({ url: "https://gw.example/health", failedLocationCount: 2 })).toThrow(/failedLocationCount must be 1-1/);
    });
  });
});

describe("Observability: workbook", () => {
  const definition = (plan: Plan): WorkbookDefinition => JSON.parse(one(plan, WORKBOOK).inputs.serializedData as string) as WorkbookDefinition;

  it("is a shared workbook of the component with a deterministic GUID name", async () => {
    const plan = await evaluate(() => {
      new Observability("mon", args());
    });
    const wb = one(plan, WORKBOOK).inputs;
    expect(wb).toMatchObject({
      resourceName: deterministicGuid("workbook", "test", "dev", "mon"),
      resourceGroupName: "rg",
      location: "eastus",
      tags: TAGS,
      kind: "shared",
      category: "workbook",
      displayName: "On-call overview (test dev)",
      version: "Notebook/1.0",
      sourceId: APPI_ID.toLowerCase(),
    });
    expect(wb.resourceName).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("has the four on-call sections, each with non-empty queries against the right source", async () => {
    const plan = await evaluate(() => {
      new Observability("mon", args());
    });
    const def = definition(plan);
    expect(def.version).toBe("Notebook/1.0");
    expect(def.fallbackResourceIds).toEqual([APPI_ID]);
    const groups = def.items.filter((i): i is WorkbookGroupItem => i.type === 12);
    expect(groups.map((g) => g.name)).toEqual([...WORKBOOK_SECTIONS]);
    const workspaceTables = /^(StorageQueueLogs|CDBDataPlaneRequests)\n/;
    for (const g of groups) {
      const items = g.content.items.filter((i): i is WorkbookQueryItem => i.type === 3);
      expect(items.length, g.name).toBeGreaterThan(0);
      for (const item of items) {
        expect(item.content.query.trim().length, item.name).toBeGreaterThan(0);
        expect(item.content.title.length, item.name).toBeGreaterThan(0);
        if (workspaceTables.test(item.content.query)) {
          expect(item.content).toMatchObject({ resourceType: "microsoft.operationalinsights/workspaces", crossComponentResources: [WORKSPACE_ID] });
        } else {
          expect(item.content).toMatchObject({ resourceType: "microsoft.insights/components", crossComponentResources: [APPI_ID] });
        }
      }
    }
    const titles = (name: string): string[] =>
      groups.find((g) => g.name === name)!.content.items.map((i) => (i as WorkbookQueryItem).content.query.split("\n")[0]!);
    expect(titles("requests")).toEqual(["requests", "requests", "exceptions"]);
    expect(titles("queues")).toEqual(["StorageQueueLogs", "StorageQueueLogs"]);
    expect(titles("orchestrations")).toEqual(["traces", "traces"]);
    expect(titles("cosmos")).toEqual(["CDBDataPlaneRequests", "CDBDataPlaneRequests"]);
  });

  it("is generated deterministically (same stack, same JSON)", async () => {
    const a = await evaluate(() => {
      new Observability("mon", args());
    });
    const b = await evaluate(() => {
      new Observability("mon", args());
    });
    expect(one(a, WORKBOOK).inputs.serializedData).toBe(one(b, WORKBOOK).inputs.serializedData);
  });
});

describe("functionsSamplingSettings", () => {
  const P = "AzureFunctionsJobHost__logging__applicationInsights__samplingSettings__";
  it("caps the host's adaptive sampling at the config's percentage; requests and exceptions are never sampled", () => {
    expect(functionsSamplingSettings(dev.monitoring)).toEqual({
      [`${P}isEnabled`]: "true",
      [`${P}maxSamplingPercentage`]: "10",
      [`${P}initialSamplingPercentage`]: "10",
      [`${P}excludedTypes`]: "Request;Exception",
    });
    expect(functionsSamplingSettings(prod.monitoring)[`${P}maxSamplingPercentage`]).toBe("25");
  });

  it("turns sampling off at 100 % and refuses 0", () => {
    expect(functionsSamplingSettings({ samplingPercentage: 100 })[`${P}isEnabled`]).toBe("false");
    expect(() => functionsSamplingSettings({ samplingPercentage: 0 })).toThrow(/samplingPercentage must be 0.1-100/);
  });

  it("the component method returns the stack's settings", async () => {
    let settings: Record<string, string> = {};
    await evaluate(() => {
      settings = new Observability("s", args(prod.monitoring)).samplingAppSettings();
    });
    expect(settings).toEqual(functionsSamplingSettings(prod.monitoring));
  });
});
