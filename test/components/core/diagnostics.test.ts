import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import {
  DIAGNOSTIC_SUPPORTED_TYPES,
  DIAGNOSTIC_TYPES,
  armTypeOf,
  diagnosticSetting,
  diagnosticSpecFor,
  resolveLogCategoryGroups,
} from "../../../components/core/diagnostics";
import { evaluate, one } from "../../helpers/plan";

const RG = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers";
const IDS = {
  site: `${RG}/Microsoft.Web/sites/test-orders-d-abcde`,
  cosmos: `${RG}/Microsoft.DocumentDB/databaseAccounts/test-data-d-abcde`,
  storage: `${RG}/Microsoft.Storage/storageAccounts/testmsgd12345`,
  blob: `${RG}/Microsoft.Storage/storageAccounts/testmsgd12345/blobServices/default`,
  queue: `${RG}/Microsoft.Storage/storageAccounts/testmsgd12345/queueServices/default`,
  table: `${RG}/Microsoft.Storage/storageAccounts/testmsgd12345/tableServices/default`,
  vault: `${RG}/Microsoft.KeyVault/vaults/test-kv-d-abcde`,
  apim: `${RG}/Microsoft.ApiManagement/service/test-apim-d-abcde`,
  topic: `${RG}/Microsoft.EventGrid/topics/test-events-d`,
};
const WS = `${RG}/Microsoft.OperationalInsights/workspaces/test-mon-d`;
const DIAG = "azure-native:monitor:DiagnosticSetting";

describe("DIAGNOSTIC_SUPPORTED_TYPES", () => {
  it("lists the azure-native tokens of every type the platform creates that supports diagnostic settings", () => {
    expect([...DIAGNOSTIC_SUPPORTED_TYPES].sort()).toEqual(
      [
        "azure-native:apimanagement:ApiManagementService",
        "azure-native:cosmosdb:DatabaseAccount",
        "azure-native:eventgrid:Topic",
        "azure-native:keyvault:Vault",
        "azure-native:storage:BlobServiceProperties",
        "azure-native:storage:QueueServiceProperties",
        "azure-native:storage:StorageAccount",
        "azure-native:storage:TableServiceProperties",
        "azure-native:web:WebApp",
      ].sort(),
    );
  });
});

describe("armTypeOf", () => {
  it.each([
    [IDS.site, "Microsoft.Web/sites"],
    [IDS.queue, "Microsoft.Storage/storageAccounts/queueServices"],
    [`${IDS.storage}/`, "Microsoft.Storage/storageAccounts"],
    [`/subscriptions/s/resourceGroups/rg`, undefined],
    ["not an id", undefined],
  ])("%s → %s", (id, type) => {
    expect(armTypeOf(id)).toBe(type);
  });
});

describe("log category groups per type", () => {
  it.each([
    ["site", undefined, ["allLogs"]],
    ["cosmos", undefined, ["allLogs"]],
    ["storage", undefined, []],
    ["storage", [], []],
    ["blob", undefined, ["allLogs"]],
    ["queue", ["allLogs"], ["allLogs"]],
    ["table", undefined, ["allLogs"]],
    ["vault", undefined, ["allLogs"]],
    ["vault", ["audit"], ["audit"]],
    ["vault", ["audit", "allLogs"], ["audit", "allLogs"]],
    ["apim", undefined, ["allLogs"]],
    ["topic", undefined, ["allLogs"]],
  ] as const)("%s with %j sends %j", (kind, requested, expected) => {
    expect(resolveLogCategoryGroups(IDS[kind], requested)).toEqual(expected);
  });

  it.each([
    ["storage", ["allLogs"], /Microsoft.Storage\/storageAccounts has no log category group allLogs; it offers no log categories \(metrics only\): pass logCategoryGroups: \[\]/],
    ["site", ["audit"], /Microsoft.Web\/sites has no log category group audit; it offers only allLogs/],
    ["topic", ["audit"], /Microsoft.EventGrid\/topics has no log category group audit/],
    ["queue", ["audit"], /queueServices has no log category group audit/],
  ] as const)("refuses %s with %j", (kind, requested, message) => {
    expect(() => resolveLogCategoryGroups(IDS[kind], requested)).toThrow(message);
  });

  it("is case-insensitive on the ARM type and passes unknown types through", () => {
    expect(resolveLogCategoryGroups(IDS.queue.replace("queueServices", "queueservices"), undefined)).toEqual(["allLogs"]);
    expect(resolveLogCategoryGroups(`${RG}/Microsoft.ServiceBus/namespaces/x`, undefined)).toEqual(["allLogs"]);
    expect(resolveLogCategoryGroups(`${RG}/Microsoft.ServiceBus/namespaces/x`, ["audit"])).toEqual(["audit"]);
  });

  it("finds a spec by token or ARM type", () => {
    expect(diagnosticSpecFor("azure-native:keyvault:Vault")).toBe(DIAGNOSTIC_TYPES["azure-native:keyvault:Vault"]);
    expect(diagnosticSpecFor("microsoft.keyvault/VAULTS")?.categoryGroups).toEqual(["audit", "allLogs"]);
    expect(diagnosticSpecFor("Microsoft.Nope/things")).toBeUndefined();
  });
});

describe("diagnosticSetting", () => {
  it("sends the type's groups and AllMetrics to the workspace, resource-specific tables", async () => {
    const plan = await evaluate(() => {
      diagnosticSetting("site", { resourceId: IDS.site, workspaceId: WS }, {});
      diagnosticSetting("account", { resourceId: IDS.storage, workspaceId: WS }, {});
      diagnosticSetting("vault", { resourceId: IDS.vault, workspaceId: WS, logCategoryGroups: ["audit"], metrics: false }, {});
    });
    expect(one(plan, DIAG, "site-diag").inputs).toEqual({
      name: "to-log-analytics",
      resourceUri: IDS.site,
      workspaceId: WS,
      logAnalyticsDestinationType: "Dedicated",
      logs: [{ categoryGroup: "allLogs", enabled: true }],
      metrics: [{ category: "AllMetrics", enabled: true }],
    });
    // A storage account's root has metrics only: no log group is sent even though none was given.
    expect(one(plan, DIAG, "account-diag").inputs).toMatchObject({ logs: [], metrics: [{ category: "AllMetrics", enabled: true }] });
    expect(one(plan, DIAG, "vault-diag").inputs).toMatchObject({ logs: [{ categoryGroup: "audit", enabled: true }], metrics: [] });
  });

  it("refuses a group the resource's type does not have, when declared (type given, or a plain id)", () => {
    const storageOutput = pulumi.output(IDS.storage);
    expect(() =>
      diagnosticSetting("a", { resourceId: storageOutput, resourceType: "azure-native:storage:StorageAccount", workspaceId: WS, logCategoryGroups: ["allLogs"] }, {}),
    ).toThrow(/diagnosticSetting\("a"\): Microsoft.Storage\/storageAccounts has no log category group allLogs/);
    expect(() => diagnosticSetting("b", { resourceId: IDS.site, workspaceId: WS, logCategoryGroups: ["audit"] }, {})).toThrow(
      /sites\/test-orders-d-abcde: Microsoft.Web\/sites has no log category group audit/,
    );
  });

  it("infers the groups from a resolved id (the usual case: the id is another resource's output)", async () => {
    const plan = await evaluate(() => {
      diagnosticSetting("account", { resourceId: pulumi.output(IDS.storage), workspaceId: WS }, {});
      diagnosticSetting("queue", { resourceId: pulumi.output(IDS.queue), workspaceId: WS }, {});
      diagnosticSetting("typed", { resourceId: pulumi.output(IDS.storage), resourceType: "azure-native:storage:StorageAccount", workspaceId: WS }, {});
    });
    expect(one(plan, DIAG, "account-diag").inputs.logs).toEqual([]);
    expect(one(plan, DIAG, "queue-diag").inputs.logs).toEqual([{ categoryGroup: "allLogs", enabled: true }]);
    expect(one(plan, DIAG, "typed-diag").inputs.logs).toEqual([]);
  });

  it("refuses an unknown group name at once", () => {
    expect(() => diagnosticSetting("x", { resourceId: IDS.site, workspaceId: WS, logCategoryGroups: ["alllogs" as "allLogs"] }, {})).toThrow(
      /unknown log category group alllogs \(expected allLogs or audit\)/,
    );
  });
});
