import { describe, expect, it } from "vitest";
import { EventTopic, type EventTopicArgs, type QueueSubscriptionArgs } from "../../components/event-grid";
import { Messaging } from "../../components/messaging";
import { Simulator } from "../../engine/simulator";
import type { Plan } from "../../engine/plan-format";
import { BuiltInRole, deterministicGuid } from "../../components/core/roles";
import { evaluate, ofType, one } from "../helpers/plan";

const names = { prefix: "test", environment: "dev" };
const common = { names, resourceGroupName: "rg", location: "eastus", tags: { owner: "team" } };
const topicArgs = (over: Partial<EventTopicArgs> = {}): EventTopicArgs => ({ ...common, ...over });

const TOPIC = "azure-native:eventgrid:Topic";
const SUBSCRIPTION = "azure-native:eventgrid:TopicEventSubscription";
const UAMI = "azure-native:managedidentity:UserAssignedIdentity";
const STORAGE = "azure-native:storage:StorageAccount";
const RA = "azure-native:authorization:RoleAssignment";
const DIAG = "azure-native:monitor:DiagnosticSetting";
const PRINCIPAL = "11111111-2222-3333-4444-555555555555";
const SUB = new Simulator({ stack: "test" }).subscriptionId;
const rg = `/subscriptions/${SUB}/resourceGroups/rg/providers`;
const topicId = (plan: Plan): string => `${rg}/Microsoft.EventGrid/topics/${one(plan, TOPIC).outputs.name as string}`;
const uamiId = (plan: Plan): string => `${rg}/Microsoft.ManagedIdentity/userAssignedIdentities/${one(plan, UAMI).outputs.name as string}`;
const storageId = (plan: Plan): string => `${rg}/Microsoft.Storage/storageAccounts/${one(plan, STORAGE).outputs.name as string}`;
const roleDef = (role: string): string => `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${role}`;

describe("EventTopic", () => {
  it("creates an Entra-only, TLS 1.2, CloudEvents topic with a user-assigned delivery identity attached", async () => {
    const plan = await evaluate(() => {
      new EventTopic("events", topicArgs());
    });
    const uami = one(plan, UAMI);
    expect(uami.inputs).toEqual({ resourceName: "test-events-delivery-d", resourceGroupName: "rg", location: "eastus", tags: { owner: "team" } });
    expect(one(plan, TOPIC).inputs).toEqual({
      topicName: "test-events-d",
      resourceGroupName: "rg",
      location: "eastus",
      tags: { owner: "team" },
      inputSchema: "CloudEventSchemaV1_0",
      disableLocalAuth: true,
      minimumTlsVersionAllowed: "1.2",
      publicNetworkAccess: "Enabled",
      identity: { type: "UserAssigned", userAssignedIdentities: { [uamiId(plan)]: {} } },
    });
    expect(ofType(plan, DIAG)).toHaveLength(0);
  });

  it("subscribes a queue: identity delivery, identity dead-lettering, retry policy, event filter, and the identity's grants first", async () => {
    const plan = await evaluate(() => {
      const messaging = new Messaging("msg", { ...common, protect: false, queues: [{ name: "order-status" }, { name: "audit" }] });
      const topic = new EventTopic("events", topicArgs());
      const sub: QueueSubscriptionArgs = { messaging, queue: "order-status", eventTypes: ["OrderStatusChanged"], maxDeliveryAttempts: 10, eventTimeToLiveInMinutes: 60 };
      topic.subscribeQueue("order-status", sub);
      // A second subscription shares the dead-letter grant and has no filter.
      topic.subscribeQueue("audit", { messaging, queue: "audit" });
      return { endpoint: topic.endpoint };
    });
    const identity = { type: "UserAssigned", userAssignedIdentity: uamiId(plan) };
    const s = one(plan, SUBSCRIPTION, "events-order-status");
    expect(s.inputs).toEqual({
      eventSubscriptionName: "order-status",
      resourceGroupName: "rg",
      topicName: "test-events-d",
      eventDeliverySchema: "CloudEventSchemaV1_0",
      deliveryWithResourceIdentity: {
        identity,
        destination: { endpointType: "StorageQueue", resourceId: storageId(plan), queueName: "order-status", queueMessageTimeToLiveInSeconds: -1 },
      },
      deadLetterWithResourceIdentity: {
        identity,
        deadLetterDestination: { endpointType: "StorageBlob", resourceId: storageId(plan), blobContainerName: "eventgrid-deadletter" },
      },
      retryPolicy: { maxDeliveryAttempts: 10, eventTimeToLiveInMinutes: 60 },
      filter: { includedEventTypes: ["OrderStatusChanged"], isSubjectCaseSensitive: false }, // the latter is the SDK default
    });
    const audit = one(plan, SUBSCRIPTION, "events-audit");
    expect(audit.inputs.filter).toBeUndefined();
    expect(audit.inputs.retryPolicy).toEqual({ maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 });

    const principal = one(plan, UAMI).outputs.principalId as string;
    const grants = [
      ["msg-events-send-order-status", `${storageId(plan)}/queueServices/default/queues/order-status`, BuiltInRole.storageQueueDataMessageSender],
      ["msg-events-send-audit", `${storageId(plan)}/queueServices/default/queues/audit`, BuiltInRole.storageQueueDataMessageSender],
      ["msg-events-deadletter", `${storageId(plan)}/blobServices/default/containers/eventgrid-deadletter`, BuiltInRole.storageBlobDataContributor],
    ] as const;
    expect(ofType(plan, RA)).toHaveLength(3);
    for (const [name, scope, role] of grants) {
      expect(one(plan, RA, name).inputs).toMatchObject({ scope, principalId: principal, roleDefinitionId: roleDef(role), roleAssignmentName: deterministicGuid(scope.toLowerCase(), principal, role) });
    }
    expect(s.dependencies).toEqual(expect.arrayContaining([one(plan, RA, "msg-events-send-order-status").urn, one(plan, RA, "msg-events-deadletter").urn]));
    expect(plan.outputs.endpoint).toBe("https://test-events-d.eastus-1.eventgrid.azure.net/api/events");
  });

  it("grants EventGrid Data Sender on the topic only, deterministically", async () => {
    const run = () =>
      evaluate(() => {
        new EventTopic("events", topicArgs()).grantPublish({ name: "notify", principalId: PRINCIPAL });
      });
    const plan = await run();
    const scope = topicId(plan);
    expect(one(plan, RA, "events-notify-publish").inputs).toEqual({
      scope,
      principalId: PRINCIPAL,
      principalType: "ServicePrincipal",
      roleDefinitionId: roleDef(BuiltInRole.eventGridDataSender),
      roleAssignmentName: deterministicGuid(scope.toLowerCase(), PRINCIPAL, BuiltInRole.eventGridDataSender),
    });
    expect((await run()).resources.find((r) => r.name === "events-notify-publish")?.inputs.roleAssignmentName).toBe(
      one(plan, RA, "events-notify-publish").inputs.roleAssignmentName,
    );
  });

  it("uses the Event Grid schema when asked, and sends diagnostics to the workspace", async () => {
    const ws = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law";
    const plan = await evaluate(() => {
      new EventTopic("events", topicArgs({ inputSchema: "EventGridSchema", workspaceId: ws }));
    });
    expect(one(plan, TOPIC).inputs.inputSchema).toBe("EventGridSchema");
    expect(one(plan, DIAG).inputs).toMatchObject({ resourceUri: topicId(plan), workspaceId: ws, logs: [{ categoryGroup: "allLogs", enabled: true }] });
  });

  it("refuses impossible subscriptions", async () => {
    await evaluate(() => {
      const messaging = new Messaging("msg", { ...common, protect: false, queues: [{ name: "orders" }] });
      const topic = new EventTopic("events", topicArgs());
      expect(() => topic.subscribeQueue("x", { messaging, queue: "orders" })).toThrow(/3-64 letters, digits and hyphens/);
      expect(() => topic.subscribeQueue("sub", { messaging, queue: "nope" })).toThrow(/queue "nope" is not declared in the messaging account \(declared: orders\)/);
      expect(() => topic.subscribeQueue("sub", { messaging, queue: "orders", maxDeliveryAttempts: 31 })).toThrow(/maxDeliveryAttempts must be 1-30/);
      expect(() => topic.subscribeQueue("sub", { messaging, queue: "orders", eventTimeToLiveInMinutes: 0 })).toThrow(/eventTimeToLiveInMinutes must be 1-1440/);
      expect(() => topic.subscribeQueue("sub", { messaging, queue: "orders", eventTypes: [] })).toThrow(/eventTypes is empty/);
      topic.subscribeQueue("sub", { messaging, queue: "orders" });
      expect(() => topic.subscribeQueue("sub", { messaging, queue: "orders" })).toThrow(/already has a subscription "sub"/);
    });
  });
});
