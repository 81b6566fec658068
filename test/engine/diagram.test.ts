import { describe, expect, it } from "vitest";
import { nodeId, renderDiagram } from "../../engine/diagram";
import type { Plan } from "../../engine/plan-format";
import { flexApp, loadPlan, resource } from "../fixtures/plans/builder";

const dev = loadPlan("delivery-dev");
const nodeLines = (text: string) => text.split("\n").filter((l) => /^ {2,4}\w+[[({>]/.test(l));
const edgeLines = (text: string) => text.split("\n").filter((l) => l.includes("-->"));

/** The lines of one subgraph (`subgraph svc_<name>` … `end`). */
const subgraph = (text: string, service: string): string[] => {
  const lines = text.split("\n");
  const from = lines.findIndex((l) => l.startsWith(`  subgraph svc_${service}[`));
  if (from < 0) return [];
  const to = lines.findIndex((l, i) => i > from && l === "  end");
  return lines.slice(from + 1, to);
};

describe("renderDiagram", () => {
  const text = renderDiagram(dev);

  it("is a top-down Mermaid flowchart with tight spacing and sanitized node ids", () => {
    expect(text.split("\n").slice(0, 2)).toEqual(['%%{init: {"flowchart": {"nodeSpacing": 24, "rankSpacing": 44}}}%%', "flowchart TB"]);
    for (const l of [...nodeLines(text), ...edgeLines(text)]) {
      const ids = l.replace(/"[^"]*"/g, "").match(/\b[a-z]+_[A-Za-z0-9_]+\b|\bclients\b/g) ?? [];
      for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_]+$/);
    }
    expect(nodeId("queue", "st01_fulfillment-requests")).toBe("queue_st01_fulfillment_requests");
  });

  it("names nodes by logical names, never by physical names with their suffixes", () => {
    const physical = dev.resources.flatMap((r) => [r.outputs.name, r.inputs.name]).filter((n): n is string => typeof n === "string" && /^contoso-/.test(n));
    expect(physical.length).toBeGreaterThan(0);
    for (const name of physical) expect(text).not.toContain(name);
    expect(text).toContain('app_orders["orders<br/>Flex 512 MB"]');
    expect(text).toContain('apim_gateway{{"gateway<br/>APIM Consumption"}}');
  });

  it("puts each service in its own box with the databases only it writes", () => {
    expect(subgraph(text, "orders")).toEqual(['    app_orders["orders<br/>Flex 512 MB"]', '    db_orders_db[("orders-db")]']);
    expect(subgraph(text, "fulfillment")).toEqual(['    app_fulfillment["fulfillment<br/>Flex 512 MB"]', '    db_fulfillment_db[("fulfillment-db")]']);
    expect(subgraph(text, "notifications")).toEqual(['    app_notifications["notifications<br/>Flex 512 MB"]']);
    // Shared pieces stay outside every box.
    const outside = text.split("\n").filter((l) => /^ {2}\w+[[({>]/.test(l) && !l.startsWith("  subgraph"));
    expect(outside.map((l) => l.trim().split(/[[({>]/)[0])).toEqual(["apim_gateway", "clients", "ext_payments_dev", "topic_order_events"]);
  });

  it("draws the gateway's routes to function apps and to the existing back end, one edge per target", () => {
    expect(text).toContain('  apim_gateway -->|"orders"| app_orders');
    expect(text).toContain('  apim_gateway -->|"payments"| ext_payments_dev');
    expect(text).toContain('  clients -->|"HTTPS"| apim_gateway');
    expect(text).toContain('ext_payments_dev[/"payments-dev<br/>existing back end"/]');
    const health = resource("apimanagement:Api", "gateway-health-orders", {
      serviceName: "contoso-apim-d",
      apiId: "health-orders",
      path: "health/orders",
      serviceUrl: dev.resources.find((r) => r.name === "gateway-orders-v1")?.inputs.serviceUrl ?? "https://contoso-func-orders-d.azurewebsites.net/api",
    });
    const two = renderDiagram({ ...dev, resources: [...dev.resources, health] });
    expect(edgeLines(two).filter((l) => l.startsWith("  apim_gateway") && l.endsWith("app_orders"))).toEqual(['  apim_gateway -->|"health, orders"| app_orders']);
  });

  it("draws a queue as the edge it carries, topics and deliveries, and databases from the role assignments", () => {
    const edges = edgeLines(text);
    expect(edges).toEqual([
      '  apim_gateway -->|"orders"| app_orders',
      '  apim_gateway -->|"payments"| ext_payments_dev',
      '  app_fulfillment -->|"calls"| ext_payments_dev',
      '  app_fulfillment -->|"publishes"| topic_order_events',
      '  app_fulfillment -->|"reads"| db_orders_db',
      '  app_fulfillment -->|"reads/writes"| db_fulfillment_db',
      '  app_orders -->|"fulfillment-requests"| app_fulfillment',
      '  app_orders -->|"reads/writes"| db_orders_db',
      '  clients -->|"HTTPS"| apim_gateway',
      '  topic_order_events -->|"notifications"| app_notifications',
    ]);
    // Poison queues are companions, not flows.
    expect(text).not.toContain("poison");
  });

  it("keeps a queue with no consumer in the plan as a node, so nothing is hidden", () => {
    const withoutConsumer = { ...dev, resources: dev.resources.filter((r) => r.name !== "messaging-fulfillment-requests-process-fulfillment") };
    const t = renderDiagram(withoutConsumer);
    expect(t).not.toContain('app_orders -->|"fulfillment-requests"| app_fulfillment');
    expect(t).toContain('  queue_fulfillment_requests[["fulfillment-requests<br/>queue"]]');
    expect(t).toContain('  app_orders -->|"sends"| queue_fulfillment_requests');
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
    // A top-level app (no component) is known by its own logical name.
    expect(after).toContain('    app_contoso_func_billing_d_app["contoso-func-billing-d-app<br/>Flex 2048 MB, 1 ready"]');
    expect(after).toContain('  apim_gateway -->|"billing"| app_contoso_func_billing_d_app');
    expect(after).toContain('  app_contoso_func_billing_d_app -->|"notifications"| app_notifications');
    expect(queue).toBeDefined();
  });

  it("escapes characters Mermaid would read as syntax", () => {
    const odd = flexApp('weird"name<x>', 512);
    const t = renderDiagram({ ...dev, resources: [odd] });
    expect(t).toContain('app_weird_name_x__app["weird#quot;name#lt;x#gt;-app<br/>Flex 512 MB"]');
  });
});
