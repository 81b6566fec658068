import { describe, expect, it } from "vitest";
import { nodeId, renderDiagram } from "../../engine/diagram";
import type { Plan } from "../../engine/plan-format";
import { flexApp, loadPlan, resource } from "../fixtures/plans/builder";

const dev = loadPlan("delivery-dev");
const nodeLines = (text: string) => text.split("\n").filter((l) => /^ {2}\w+[[({>]/.test(l));
const edgeLines = (text: string) => text.split("\n").filter((l) => l.includes("-->"));

describe("renderDiagram", () => {
  const text = renderDiagram(dev);

  it("is a Mermaid flowchart with sanitized node ids", () => {
    expect(text.startsWith("flowchart LR\n")).toBe(true);
    for (const l of [...nodeLines(text), ...edgeLines(text)]) {
      const ids = l.replace(/"[^"]*"/g, "").match(/\b[a-z]+_[A-Za-z0-9_]+\b|\bclients\b/g) ?? [];
      for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_]+$/);
    }
    expect(nodeId("queue", "st01_fulfillment-requests")).toBe("queue_st01_fulfillment_requests");
  });

  it("draws the gateway's routes to function apps and to the existing back end", () => {
    expect(text).toContain('  apim_contoso_apim_d -->|"orders/v1"| app_contoso_func_orders_d');
    expect(text).toContain('  apim_contoso_apim_d -->|"payments/v1"| ext_payments_dev_contoso_example_api');
    expect(text).toContain('  clients -->|"HTTPS"| apim_contoso_apim_d');
    expect(text).toContain('ext_payments_dev_contoso_example_api[/"payments-dev.contoso.example/api<br/>existing back end"/]');
  });

  it("draws queues sent to and processed, topics, deliveries and databases from the role assignments", () => {
    const edges = edgeLines(text);
    expect(edges).toEqual(
      expect.arrayContaining([
        '  app_contoso_func_orders_d -->|"sends"| queue_contosostdmsg01_fulfillment_requests',
        '  queue_contosostdmsg01_fulfillment_requests -->|"triggers"| app_contoso_func_fulfillment_d',
        '  queue_contosostdmsg01_notifications -->|"triggers"| app_contoso_func_notifications_d',
        '  app_contoso_func_fulfillment_d -->|"publishes"| topic_contoso_evgt_orders_d',
        '  topic_contoso_evgt_orders_d -->|"delivers"| queue_contosostdmsg01_notifications',
        '  app_contoso_func_orders_d -->|"reads/writes"| db_contoso_cosmos_d_orders_db',
        '  app_contoso_func_fulfillment_d -->|"reads"| db_contoso_cosmos_d_orders_db',
        '  app_contoso_func_fulfillment_d -->|"calls"| ext_payments_dev_contoso_example_api',
      ]),
    );
    expect(edges).toHaveLength(12);
    // Poison queues are companions, not flows.
    expect(text).not.toContain("poison");
  });

  it("changes when a service is added to the plan", () => {
    const identity = resource("managedidentity:UserAssignedIdentity", "billing-identity", { resourceName: "contoso-id-billing-d" }, {
      outputs: { name: "contoso-id-billing-d", principalId: "11111111-2222-4333-a444-555555555555" },
    });
    const app = flexApp("contoso-func-billing-d", 2048, 1);
    const withIdentity = {
      ...app,
      inputs: { ...app.inputs, identity: { type: "UserAssigned", userAssignedIdentities: ["/subscriptions/s/resourceGroups/r/providers/Microsoft.ManagedIdentity/userAssignedIdentities/contoso-id-billing-d"] } },
      outputs: { ...app.outputs, defaultHostName: "contoso-func-billing-d.azurewebsites.net" },
    };
    const queue = dev.resources.find((r) => r.type === "azure-native:storage:Queue" && r.inputs.queueName === "notifications")!;
    const grant = resource("authorization:RoleAssignment", "notifications-send-billing", {
      // No propertyDependencies: the queue is found from the ARM id alone.
      scope: "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/contosostdmsg01/queueServices/default/queues/notifications",
      principalId: "11111111-2222-4333-a444-555555555555",
      roleDefinitionId: "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/c6a89b2d-59bc-44d0-9896-0f6e12d7b80a",
    });
    const api = resource("apimanagement:Api", "gateway-billing-v1", {
      serviceName: "contoso-apim-d",
      apiId: "billing-v1",
      path: "billing/v1",
      serviceUrl: "https://contoso-func-billing-d.azurewebsites.net/api",
    });
    const bigger: Plan = { ...dev, resources: [...dev.resources, identity, withIdentity, grant, api] };
    const after = renderDiagram(bigger);
    expect(after).not.toBe(text);
    expect(after).toContain('  app_contoso_func_billing_d["contoso-func-billing-d<br/>Flex 2048 MB, 1 always ready"]');
    expect(after).toContain('  apim_contoso_apim_d -->|"billing/v1"| app_contoso_func_billing_d');
    expect(after).toContain('  app_contoso_func_billing_d -->|"sends"| queue_contosostdmsg01_notifications');
    expect(edgeLines(after)).toHaveLength(14);
    expect(queue).toBeDefined();
  });

  it("escapes characters Mermaid would read as syntax", () => {
    const odd = flexApp('weird"name<x>', 512);
    const t = renderDiagram({ ...dev, resources: [odd] });
    expect(t).toContain('app_weird_name_x_["weird#quot;name#lt;x#gt;<br/>Flex 512 MB"]');
  });
});
