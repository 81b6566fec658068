import { describe, expect, it } from "vitest";
import { checkStack, rule, set, type StackRes } from "../harness";
import { T, UAMI_ID, UAMI_PRINCIPAL_ID, flexApp, storageAccount, topic, uami } from "../resources";

const policy = rule("rbac-data-scope");
const SUB = "/subscriptions/00000000-0000-4000-a000-000000000002";
const ROLE = (guid: string) => `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const SENDER = "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a";
const QUEUE_CONTRIBUTOR = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
const BLOB_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
const BLOB_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
const MSG = `${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/contosostmsg`;
const queue = (q: string) => `${MSG}/queueServices/default/queues/${q}`;

const grant = (name: string, role: string, scope: string, principal: string, principalId = "p-" + principal): StackRes => ({
  type: T.roleAssignment,
  name,
  props: { principalId, principalType: "ServicePrincipal", roleDefinitionId: ROLE(role), scope },
  deps: { principalId: [principal] },
});
const orders: StackRes = { type: T.uami, name: "orders-identity", props: uami };
const fulfillment: StackRes = { type: T.uami, name: "fulfillment-identity", props: { ...uami, resourceName: "contoso-id-fulfil-p" } };
const eventTopic: StackRes = { type: T.topic, name: "order-events", props: topic };
const subscription: StackRes = {
  type: T.topicSub,
  name: "order-events-to-notifications",
  props: {
    deliveryWithResourceIdentity: { identity: { type: "SystemAssigned" }, destination: { endpointType: "StorageQueue", resourceId: MSG, queueName: "order-notifications" } },
    deadLetterWithResourceIdentity: { identity: { type: "SystemAssigned" }, deadLetterDestination: { endpointType: "StorageBlob", resourceId: MSG, blobContainerName: "deadletter" } },
  },
  deps: { topicName: ["order-events"] },
};

describe("rbac-data-scope", () => {
  it("passes queue-scoped grants, one consumer per queue, and a topic that holds only what its subscription delivers to", () => {
    const stack = [
      orders,
      fulfillment,
      eventTopic,
      subscription,
      grant("orders-process-status", QUEUE_CONTRIBUTOR, queue("order-status"), "orders-identity"),
      grant("orders-process-status-poison", QUEUE_CONTRIBUTOR, queue("order-status-poison"), "orders-identity"),
      grant("fulfillment-send-status", SENDER, queue("order-status"), "fulfillment-identity"),
      grant("topic-send", SENDER, queue("order-notifications"), "order-events"),
      grant("topic-deadletter", BLOB_CONTRIBUTOR, `${MSG}/blobServices/default/containers/deadletter`, "order-events"),
    ];
    expect(checkStack(policy, stack)).toEqual({ violations: [], applicable: true });
  });

  it("flags a queue role on the whole account", () => {
    expect(checkStack(policy, [fulfillment, grant("fulfillment-send", SENDER, MSG, "fulfillment-identity")]).violations).toEqual([
      { name: "fulfillment-send", message: expect.stringMatching(/grants Storage Queue Data Message Sender on the whole storage account "contosostmsg" to UserAssignedIdentity "fulfillment-identity".*Scope it to the queue/) },
    ]);
  });

  it("allows the whole account for an app's own host storage", () => {
    const app: StackRes = { type: T.app, name: "orders-app", props: set(flexApp, "identity.userAssignedIdentities", [UAMI_ID]), deps: { identity: ["orders-identity"] } };
    const hostId = `${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/contosostorders`;
    const identity: StackRes = { type: T.uami, name: "orders-identity", props: { ...uami, principalId: UAMI_PRINCIPAL_ID } };
    const host = { ...grant("orders-host-blob", BLOB_OWNER, hostId, "orders-identity", UAMI_PRINCIPAL_ID) };
    expect(checkStack(policy, [identity, app, host]).violations).toEqual([]);
  });

  it("flags two consumers of one queue (its poison queue counts as the queue)", () => {
    const found = checkStack(policy, [
      orders,
      fulfillment,
      grant("orders-process-status", QUEUE_CONTRIBUTOR, queue("order-status"), "orders-identity"),
      grant("fulfillment-process-status-poison", QUEUE_CONTRIBUTOR, queue("order-status-poison"), "fulfillment-identity"),
    ]).violations;
    expect(found.map((v) => v.name).sort()).toEqual(["fulfillment-process-status-poison", "orders-process-status"]);
    expect(found[0]!.message).toMatch(/consume queue "order-status" \(or its poison queue\), which 2 principals consume/);
  });

  it("flags a topic grant no subscription needs", () => {
    const found = checkStack(policy, [eventTopic, subscription, grant("topic-send-status", SENDER, queue("order-status"), "order-events"), grant("topic-deadletter", BLOB_OWNER, `${MSG}/blobServices/default/containers/deadletter`, "order-events")]).violations;
    expect(found.map((v) => v.name)).toEqual(["topic-send-status", "topic-deadletter"]);
    expect(found[0]!.message).toMatch(/queue "order-status" of storage account "contosostmsg" to Topic "order-events", which none of the topic's subscriptions delivers or dead-letters to/);
  });

  it("does not apply to a stack without role assignments", () => {
    expect(checkStack(policy, [{ type: T.storage, name: "s", props: storageAccount }]).applicable).toBe(false);
  });
});
