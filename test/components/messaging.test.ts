import { describe, expect, it } from "vitest";
import { Messaging, type MessagingArgs } from "../../components/messaging";
import { Simulator } from "../../engine/simulator";
import type { Plan } from "../../engine/plan-format";
import { LOCK_NOTES } from "../../components/core/protection";
import { BuiltInRole, deterministicGuid } from "../../components/core/roles";
import { evaluate, ofType, one } from "../helpers/plan";

const names = { prefix: "test", environment: "dev" };
const base = (over: Partial<MessagingArgs> = {}): MessagingArgs => ({
  names,
  resourceGroupName: "rg",
  location: "eastus",
  tags: { owner: "team" },
  protect: false,
  queues: [{ name: "order-created", description: "an order was placed" }, { name: "payments" }],
  ...over,
});

const ACCOUNT = "azure-native:storage:StorageAccount";
const QUEUE = "azure-native:storage:Queue";
const CONTAINER = "azure-native:storage:BlobContainer";
const BLOB_SERVICE = "azure-native:storage:BlobServiceProperties";
const RA = "azure-native:authorization:RoleAssignment";
const LOCK = "azure-native:authorization:ManagementLockByScope";
const DIAG = "azure-native:monitor:DiagnosticSetting";
const PRINCIPAL = "11111111-2222-3333-4444-555555555555";
const SUB = new Simulator({ stack: "test" }).subscriptionId;
const accountId = (plan: Plan): string =>
  `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${one(plan, ACCOUNT).outputs.name as string}`;
const roleDef = (role: string): string => `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${role}`;

describe("Messaging", () => {
  it("creates a keyless, TLS 1.2, private storage account with blob and container soft delete", async () => {
    const plan = await evaluate(() => {
      new Messaging("msg", base());
    });
    const account = one(plan, ACCOUNT);
    expect(account.inputs).toEqual({
      accountName: expect.stringMatching(/^testmsgd[a-z0-9]{5}$/),
      resourceGroupName: "rg",
      location: "eastus",
      tags: { owner: "team" },
      kind: "StorageV2",
      sku: { name: "Standard_LRS" },
      accessTier: "Hot",
      allowSharedKeyAccess: false,
      defaultToOAuthAuthentication: true,
      enableHttpsTrafficOnly: true,
      minimumTlsVersion: "TLS1_2",
      allowBlobPublicAccess: false,
      allowCrossTenantReplication: false,
      isLocalUserEnabled: false,
      networkRuleSet: { defaultAction: "Allow", bypass: "AzureServices" },
    });
    expect(account.options).toEqual({ protect: false, retainOnDelete: false });
    expect(ofType(plan, LOCK)).toHaveLength(0);
    expect(ofType(plan, DIAG)).toHaveLength(0);
    expect(one(plan, BLOB_SERVICE).inputs).toEqual({
      accountName: account.outputs.name,
      resourceGroupName: "rg",
      blobServicesName: "default",
      deleteRetentionPolicy: { enabled: true, days: 7 },
      containerDeleteRetentionPolicy: { enabled: true, days: 7 },
    });
  });

  it("creates each queue with its poison queue, and a private dead-letter container", async () => {
    let exposed: { poison: readonly string[]; queues: readonly string[] } | undefined;
    const plan = await evaluate(() => {
      const m = new Messaging("msg", base());
      exposed = { poison: m.poisonQueueNames, queues: m.queueNames };
      return { accountId: m.accountId, uri: m.connection().queueServiceUri, dl: m.deadLetterContainerId };
    });
    expect(ofType(plan, QUEUE).map((q) => q.inputs.queueName).sort()).toEqual(["order-created", "order-created-poison", "payments", "payments-poison"]);
    expect(one(plan, QUEUE, "msg-order-created").inputs).toEqual({
      accountName: one(plan, ACCOUNT).outputs.name,
      resourceGroupName: "rg",
      queueName: "order-created",
      metadata: { description: "an order was placed" },
    });
    expect(exposed).toEqual({ queues: ["order-created", "payments"], poison: ["order-created-poison", "payments-poison"] });
    expect(plan.outputs.accountId).toBe(accountId(plan));
    expect(plan.outputs.uri).toBe(`https://${one(plan, ACCOUNT).outputs.name as string}.queue.core.windows.net/`);
    const dl = one(plan, CONTAINER);
    expect(dl.inputs).toEqual({ accountName: one(plan, ACCOUNT).outputs.name, resourceGroupName: "rg", containerName: "eventgrid-deadletter", publicAccess: "None" });
    expect(dl.dependencies).toContain(one(plan, BLOB_SERVICE).urn);
    expect(plan.outputs.dl).toBe(`${accountId(plan)}/blobServices/default/containers/eventgrid-deadletter`);
  });

  it("grants send, process (Contributor on the queue, only Sender on its poison queue) and dead-letter write at the narrowest scope, with deterministic names", async () => {
    const run = () =>
      evaluate(() => {
        const m = new Messaging("msg", base());
        const g = { name: "orders", principalId: PRINCIPAL };
        m.grantSend(g, "payments");
        m.grantProcess(g, "order-created");
        m.grantDeadLetterWrite(g);
        m.grantDeadLetterWrite(g); // a second ask returns the same grant
      });
    const plan = await run();
    const id = accountId(plan);
    const expected = [
      ["msg-orders-send-payments", `${id}/queueServices/default/queues/payments`, BuiltInRole.storageQueueDataMessageSender],
      ["msg-orders-process-order-created", `${id}/queueServices/default/queues/order-created`, BuiltInRole.storageQueueDataContributor],
      // The host only sends to the poison queue (the extension creates it only when a send finds none).
      ["msg-orders-send-order-created-poison", `${id}/queueServices/default/queues/order-created-poison`, BuiltInRole.storageQueueDataMessageSender],
      ["msg-orders-deadletter", `${id}/blobServices/default/containers/eventgrid-deadletter`, BuiltInRole.storageBlobDataContributor],
    ] as const;
    expect(ofType(plan, RA)).toHaveLength(expected.length);
    for (const [name, scope, role] of expected) {
      expect(one(plan, RA, name).inputs).toEqual({
        scope,
        principalId: PRINCIPAL,
        principalType: "ServicePrincipal",
        roleDefinitionId: roleDef(role),
        roleAssignmentName: deterministicGuid(scope.toLowerCase(), PRINCIPAL, role),
      });
    }
    const again = await run();
    expect(ofType(again, RA).map((r) => r.inputs.roleAssignmentName)).toEqual(ofType(plan, RA).map((r) => r.inputs.roleAssignmentName));
  });

  it("refuses grants on queues it does not hold", async () => {
    await evaluate(() => {
      const m = new Messaging("msg", base());
      expect(() => m.grantSend({ name: "x", principalId: PRINCIPAL }, "nope")).toThrow(/no queue "nope" here; declared queues: order-created, payments/);
    });
  });

  it("sends account metrics only, and queue and blob service logs, to the workspace", async () => {
    const ws = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law";
    const plan = await evaluate(() => {
      new Messaging("msg", base({ workspaceId: ws }));
    });
    const id = accountId(plan);
    const byUri = Object.fromEntries(ofType(plan, DIAG).map((d) => [d.inputs.resourceUri as string, d.inputs]));
    expect(Object.keys(byUri).sort()).toEqual([id, `${id}/blobServices/default`, `${id}/queueServices/default`].sort());
    expect(byUri[id]).toMatchObject({ workspaceId: ws, logs: [], metrics: [{ category: "AllMetrics", enabled: true }] });
    for (const svc of ["queueServices", "blobServices"]) {
      expect(byUri[`${id}/${svc}/default`]).toMatchObject({ workspaceId: ws, logs: [{ categoryGroup: "allLogs", enabled: true }], metrics: [{ category: "AllMetrics", enabled: true }] });
    }
    expect(one(plan, DIAG, "msg-account-diag").propertyDependencies.resourceUri).toEqual([one(plan, ACCOUNT).urn]);
  });

  it("protects the account and locks it against deletion when protect is on", async () => {
    const plan = await evaluate(() => {
      new Messaging("msg", base({ protect: true }));
    });
    const account = one(plan, ACCOUNT);
    expect(account.options).toEqual({ protect: true, retainOnDelete: true });
    const lock = one(plan, LOCK);
    expect(lock.inputs).toEqual({ scope: accountId(plan), level: "CanNotDelete", lockName: "protect-data", notes: LOCK_NOTES });
    expect(lock.propertyDependencies.scope).toEqual([account.urn]);
  });

  it.each<[string, Partial<MessagingArgs>, RegExp]>([
    ["duplicate queue names", { queues: [{ name: "orders" }, { name: "orders" }] }, /queue "orders" is declared twice/],
    ["a queue colliding with another's poison queue", { queues: [{ name: "orders" }, { name: "orders-poison" }] }, /queue "orders-poison" is declared twice/],
    ["an upper-case queue name", { queues: [{ name: "Orders" }] }, /queue "Orders" is invalid: contains characters outside/],
    ["a two-letter queue name", { queues: [{ name: "ab" }] }, /queue "ab" is invalid: length 2 is outside 3-63/],
    ["a queue whose poison name is too long", { queues: [{ name: "a".repeat(60) }] }, /its poison queue .* length 67 is outside 3-63/],
    ["consecutive hyphens", { queues: [{ name: "a--b" }] }, /must not contain consecutive hyphens/],
    ["a bad dead-letter container", { deadLetterContainerName: "DL" }, /deadLetterContainerName "DL" is invalid/],
    ["0 soft-delete days", { softDeleteRetentionDays: 0 }, /softDeleteRetentionDays must be a whole number of days from 1 to 365/],
  ])("refuses %s", (_what, over, message) => {
    expect(() => new Messaging("msg", base(over))).toThrow(message);
  });
});
