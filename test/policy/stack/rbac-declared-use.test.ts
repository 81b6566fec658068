import { describe, expect, it } from "vitest";
import { AZURE_ROLES } from "../../../policy/rules/azure-roles";
import { checkStack, rule, set, type StackRes } from "../harness";
import { T, UAMI_ID, flexApp, storageAccount, uami } from "../resources";

const policy = rule("rbac-declared-use");
const SUB = "/subscriptions/00000000-0000-4000-a000-000000000002";
const ROLE = (guid: string) => `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const { storageQueueDataMessageSender: SENDER, storageQueueDataContributor: CONTRIBUTOR, storageQueueDataMessageProcessor: PROCESSOR } = AZURE_ROLES;
const MSG = `${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/contosostmsg`;
const queue = (q: string) => `${MSG}/queueServices/default/queues/${q}`;
const CODE = "pulumi-nodejs:dynamic/functionapp:FunctionCodeDeployment";

const identity: StackRes = { type: T.uami, name: "orders-identity", props: uami };
const app: StackRes = { type: T.app, name: "orders-app", props: set(flexApp, "identity.userAssignedIdentities", [UAMI_ID]), deps: { identity: ["orders-identity"] } };
/** The orders app's code: a queue trigger on order-status; its manifest: sends to order-fulfillment, processes order-status. */
const code = (functions: unknown[], uses: unknown[]): StackRes => ({ type: CODE, name: "orders-code", props: { siteId: "site", functions, uses }, deps: { siteId: ["orders-app"] } });
const ordersCode = code(
  [
    { name: "createOrder", trigger: "httpTrigger" },
    { name: "applyStatusReport", trigger: "queueTrigger", queue: "order-status" },
  ],
  [
    { kind: "queue", name: "order-fulfillment", access: "send" },
    { kind: "queue", name: "order-status", access: "process" },
  ],
);
const grant = (name: string, role: { id: string }, scope: string): StackRes => ({
  type: T.roleAssignment,
  name,
  props: { principalId: "p-orders", principalType: "ServicePrincipal", roleDefinitionId: ROLE(role.id), scope },
  deps: { principalId: ["orders-identity"] },
});
const compliant = [
  grant("orders-process-status", CONTRIBUTOR, queue("order-status")),
  grant("orders-send-status-poison", SENDER, queue("order-status-poison")),
  grant("orders-send-fulfillment", SENDER, queue("order-fulfillment")),
];
const judge = (...grants: StackRes[]) => checkStack(policy, [identity, app, ordersCode, ...grants]);

describe("rbac-declared-use", () => {
  it("passes processing roles on the queue the code triggers on (and its poison queue) and Sender on a declared send", () => {
    expect(judge(...compliant)).toEqual({ violations: [], applicable: true });
    expect(judge(grant("orders-process-status", PROCESSOR, queue("order-status"))).violations).toEqual([]);
  });

  it("flags a processing role on a trigger's poison queue (the host only sends there), unless the code triggers on the poison queue itself", () => {
    for (const role of [CONTRIBUTOR, PROCESSOR]) {
      expect(judge(grant("orders-process-status-poison", role, queue("order-status-poison"))).violations).toEqual([
        {
          name: "orders-process-status-poison",
          message: expect.stringMatching(/on queue "order-status-poison" .* but the host only sends to "order-status-poison" \(the poison queue of the "order-status" trigger\): Storage Queue Data Message Sender is enough/),
        },
      ]);
    }
    const drainsPoison = code(
      [
        { name: "applyStatusReport", trigger: "queueTrigger", queue: "order-status" },
        { name: "inspectPoison", trigger: "queueTrigger", queue: "order-status-poison" },
      ],
      [],
    );
    expect(checkStack(policy, [identity, app, drainsPoison, grant("orders-process-status-poison", CONTRIBUTOR, queue("order-status-poison"))]).violations).toEqual([]);
  });

  it("passes a blob role on the app's own Flex deployment container", () => {
    const deploy = grant("orders-deploy", AZURE_ROLES.storageBlobDataContributor, `${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/contosostorders/blobServices/default/containers/deploy-orders`);
    expect(judge(deploy).violations).toEqual([]);
  });

  it("flags a send-only use granted Contributor: a send gets Sender only", () => {
    expect(judge(grant("orders-send-fulfillment", CONTRIBUTOR, queue("order-fulfillment"))).violations).toEqual([
      {
        name: "orders-send-fulfillment",
        message: expect.stringMatching(/grants Storage Queue Data Contributor on queue "order-fulfillment" of storage account "contosostmsg" to function app "orders-app", but it only sends to "order-fulfillment" \(a send-only use gets Storage Queue Data Message Sender/),
      },
    ]);
  });

  it("flags Sender on the queue the code triggers on: the trigger needs a processor role", () => {
    expect(judge(grant("orders-process-status", SENDER, queue("order-status"))).violations[0]?.message).toMatch(/its code triggers on "order-status", which needs Storage Queue Data Message Processor \(or Contributor\), not Sender/);
  });

  it("flags a grant on a queue the app does not use, whatever the role", () => {
    for (const role of [SENDER, CONTRIBUTOR, PROCESSOR, AZURE_ROLES.storageQueueDataReader]) {
      const found = judge(grant("orders-other", role, queue("order-notifications"))).violations;
      expect(found.map((v) => v.name), role.name).toEqual(["orders-other"]);
      expect(found[0]!.message).toMatch(/order-notifications/);
    }
  });

  it("flags processing a queue the manifest declares but the code never triggers on (the code is the evidence)", () => {
    const noTrigger = code([{ name: "createOrder", trigger: "httpTrigger" }], [{ kind: "queue", name: "order-status", access: "process" }]);
    const found = checkStack(policy, [identity, app, noTrigger, grant("orders-process-status", CONTRIBUTOR, queue("order-status"))]).violations;
    expect(found[0]?.message).toMatch(/its manifest declares processing "order-status" but its code registers no queue trigger on it/);
  });

  it("flags a blob container grant that is not the app's deployment container", () => {
    const other = grant("orders-blob", AZURE_ROLES.storageBlobDataContributor, `${MSG}/blobServices/default/containers/exports`);
    expect(judge(other).violations[0]?.message).toMatch(/no declared use of container "exports" \(its deployment container: contosostorders\/deploy-orders\)/);
  });

  it("judges each grant only against its own grantee's uses", () => {
    // Another app's code triggers on order-notifications; that is no evidence for orders.
    const other: StackRes = { ...code([{ name: "deliver", trigger: "queueTrigger", queue: "order-notifications" }], []), name: "notifications-code", deps: { siteId: ["notifications-app"] } };
    const notifications: StackRes = { type: T.app, name: "notifications-app", props: { ...flexApp, name: "contoso-func-notif-p", identity: { type: "SystemAssigned" } } };
    const found = checkStack(policy, [identity, app, ordersCode, notifications, other, grant("orders-steal", CONTRIBUTOR, queue("order-notifications"))]).violations;
    expect(found.map((v) => v.name)).toEqual(["orders-steal"]);
  });

  it("does not apply without role assignments or function apps; skips apps the plan records no uses for", () => {
    expect(checkStack(policy, [{ type: T.storage, name: "s", props: storageAccount }]).applicable).toBe(false);
    expect(checkStack(policy, [identity, grant("x", SENDER, queue("q"))]).applicable).toBe(false);
    expect(checkStack(policy, [identity, app, grant("x", SENDER, queue("q"))])).toEqual({ violations: [], applicable: true });
  });

  it("leaves account-wide grants to rbac-data-scope", () => {
    expect(judge(grant("orders-account", SENDER, MSG)).violations).toEqual([]);
  });
});
